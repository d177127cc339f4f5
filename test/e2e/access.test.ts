// Access: the management API and the WebSocket need the token; the data dir, the token
// and the secrets key are private even when they were not; webhooks answer only at their
// unguessable slugs, at a configurable rate; secret values never show in the daemon's
// log, the CLI's output, a session's log or its error.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import WebSocket from "ws";
import { waitFor } from "../helpers/fakes.ts";
import { fileScope, tempHome, TestDaemon, webhookPath, writeProject } from "../helpers/daemon.ts";

const SECRET = "s3cr3t-" + crypto.randomUUID();

const scope = fileScope();

const HANDLERS = `
import os

import autokitteh


@autokitteh.activity
def call_api(token):
    return "called with " + token


def on_hook(event):
    token = os.environ["API_TOKEN"]
    print("token is", token)
    print(call_api(token))
    raise RuntimeError("bad token " + token)
`;

let d: TestDaemon;
let deployOut = "";

before(async () => {
  const home = tempHome(scope);
  // A data dir and token file that someone made readable by others.
  mkdirSync(home, { recursive: true });
  chmodSync(home, 0o755);
  writeFileSync(join(home, "token"), "a".repeat(64) + "\n", { mode: 0o644 });
  d = new TestDaemon(home);
  scope.after(() => d.kill());
  await d.start(["--webhook-rate", "0.01", "--log-level", "debug"]);
  const res = await d.cli([
    "deploy",
    "--manifest",
    writeProject(scope, {
      "autokitteh.yaml": `version: v1
project:
  name: access
  vars:
    - name: API_TOKEN
      value: ${SECRET}
      secret: true
  triggers:
    - name: hook
      webhook: {}
      call: main.py:on_hook
    - name: other
      webhook: {}
      call: main.py:on_hook
`,
      "main.py": HANDLERS,
    }),
  ]);
  assert.equal(res.code, 0, res.stderr);
  deployOut = res.stdout;
  assert.ok(!res.stdout.includes(SECRET) && !res.stderr.includes(SECRET));
});

test("the data dir is 0700, the token and the secrets key 0600", () => {
  // 0710 when runners run as another user: its group may pass through, not list.
  const home = statSync(d.home);
  assert.equal(
    home.mode & 0o777,
    home.gid === process.getgid?.() ? 0o700 : 0o710,
  );
  assert.equal(statSync(join(d.home, "token")).mode & 0o777, 0o600);
  assert.equal(statSync(join(d.home, "secret.key")).mode & 0o777, 0o600);
});

test("the management API and the WebSocket need the token", async () => {
  for (
    const headers of [
      {},
      { authorization: "Bearer wrong" },
      { authorization: d.token },
    ] as Record<string, string>[]
  ) {
    const res = await fetch(d.url + "/api/projects", { headers });
    assert.equal(res.status, 401);
    assert.match((await res.json()).error, /unauthorized/);
  }
  assert.equal(
    (await fetch(d.url + "/api/projects", {
      headers: { authorization: `Bearer ${d.token}` },
    })).status,
    200,
  );
  for (const url of [`${d.url}/api/ws`, `${d.url}/api/ws?token=wrong`]) {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url.replace("http", "ws"));
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => {
        ws.close();
        resolve(101);
      });
      ws.on("error", () => {});
    });
    assert.equal(status, 401, url);
  }
});

test("webhooks answer only at their random slugs", async () => {
  const slugs = ["hook", "other"].map((t) => webhookPath(deployOut, t).split("/")[2]);
  for (const slug of slugs) assert.match(slug, /^[0-9a-z]{26}$/);
  assert.notEqual(slugs[0].slice(0, 10), slugs[1].slice(0, 10), "slugs are not sequential");
  for (const path of ["/webhooks/hook", "/webhooks/access", `/webhooks/${"0".repeat(26)}`]) {
    assert.equal((await fetch(d.url + path, { method: "POST" })).status, 404, path);
  }
});

test("a webhook past its rate gets 429, and other webhooks are not affected", async () => {
  const post = (t: string) => fetch(d.url + webhookPath(deployOut, t), { method: "POST" });
  assert.equal((await post("hook")).status, 202);
  const limited = await post("hook");
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "100");
  assert.match((await limited.json()).error, /rate limit/);
  assert.equal((await post("other")).status, 202);
});

test("a secret value shows nowhere: daemon log, CLI, session log and error", async () => {
  const { sessions } = await waitFor("two sessions", async () => {
    const res = await d.api<{ sessions: { session_id: string; state: string }[] }>(
      "/api/sessions?project=access",
    );
    return res.sessions.length === 2 && res;
  });
  for (const s of sessions) {
    const ended = await d.waitSession(s.session_id, 60_000);
    assert.equal(ended.state, "error");
    assert.match(ended.error ?? "", /bad token \*{8}/);
    assert.deepEqual(await d.prints(s.session_id), [
      "token is ********",
      "called with ********",
    ]);
    for (const args of [["session", "get"], ["session", "log"], ["session", "prints"]]) {
      const res = await d.cli([...args, s.session_id]);
      assert.ok(!(res.stdout + res.stderr).includes(SECRET), args.join(" "));
    }
  }
  const vars = await d.cli(["var", "get", "API_TOKEN", "--project", "access"]);
  assert.equal(vars.code, 0, vars.stderr);
  assert.ok(vars.stdout.includes("********") && !vars.stdout.includes(SECRET));
  const { events } = await d.api<{ events: unknown[] }>("/api/events?project=access");
  assert.ok(!JSON.stringify(events).includes(SECRET));
  assert.ok(!d.stderr.includes(SECRET), "daemon log");
  // Only --reveal shows it.
  const revealed = await d.cli(["var", "get", "API_TOKEN", "--project", "access", "--reveal"]);
  assert.ok(revealed.stdout.includes(SECRET));
});
