// Webhook edge cases and sessions that fail.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, webhookPath, writeProject } from "../helpers/daemon.ts";

const project = (handler: string) => ({
  "autokitteh.yaml": `version: v2
project:
  name: hooks
  triggers:
    - name: hook
      webhook: {}
      call: main.py:handle
`,
  "main.py": handler,
});

test("unknown slugs are 404, oversized bodies 413, and nothing is stored for them", async (t) => {
  const d = await daemonFor(t, {}, ["--webhook-body-limit", "1024"]);
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, project("def handle(e):\n    print(e.data.url.path_suffix)\n")),
  ]);
  assert.equal(out.code, 0, out.stderr);
  const path = webhookPath(out.stdout, "hook");
  assert.equal(
    (await fetch(`${d.url}/webhooks/00000000000000000000000000`, { method: "POST" })).status,
    404,
  );
  assert.equal((await fetch(d.url + path, { method: "POST", body: "x".repeat(2000) })).status, 413);
  assert.deepEqual((await d.api<{ events: unknown[] }>("/api/events")).events, []);
  const ok = await fetch(`${d.url}${path}/a/b?x=1`, { method: "GET" });
  assert.equal(ok.status, 202);
  const s = await d.waitSession("hooks");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints("hooks"), ["a/b"]);
  const { events } = await d.api<
    { events: { event_type: string; data: { url: { query: unknown } } }[] }
  >("/api/events");
  assert.equal(events[0].event_type, "get");
  assert.deepEqual(events[0].data.url.query, { x: "1" });
});

test("a raising handler ends in error with its traceback", async (t) => {
  const d = await daemonFor(t);
  const handler = `def helper(x):
    raise ValueError(f"bad value {x}")

def handle(event):
    print("before")
    helper(42)
`;
  const out = await d.cli(["deploy", "--manifest", writeProject(t, project(handler))]);
  const path = webhookPath(out.stdout, "hook");
  await fetch(d.url + path, { method: "POST" });
  const s = await d.waitSession("hooks");
  assert.equal(s.state, "error");
  assert.match(s.error ?? "", /error: ValueError\('bad value 42'\)/);
  assert.match(s.error ?? "", /main\.py", line 2, in helper/);
  assert.match(s.error ?? "", /main\.py", line 6, in handle/);
  assert.deepEqual(await d.prints("hooks"), ["before"]);
});

test("the management API and the CLI refuse a wrong token", async (t) => {
  const d = await daemonFor(t);
  const res = await fetch(`${d.url}/api/projects`, { headers: { authorization: "Bearer nope" } });
  assert.equal(res.status, 401);
  const out = await d.cli(["project", "list"], { POUNCE_TOKEN: "wrong" });
  assert.equal(out.code, 41);
  assert.match(out.stderr, /unauthorized/);
  assert.equal((await fetch(`${d.url}/healthz`)).status, 200);
});

test("a daemon restart keeps projects, deployments and finished sessions", async (t) => {
  const d = await daemonFor(t);
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, project("def handle(e):\n    print('hi')\n")),
  ]);
  const path = webhookPath(out.stdout, "hook");
  await fetch(d.url + path, { method: "POST" });
  const before = await d.waitSession("hooks");
  await d.stop();
  await d.start();
  const after = await d.waitSession("hooks");
  assert.equal(after.session_id, before.session_id);
  assert.equal(after.state, "completed");
  assert.deepEqual(await d.prints("hooks"), ["hi"]);
  const deps = await d.api<{ deployments: { state: string }[] }>("/api/deployments");
  assert.deepEqual(deps.deployments.map((x) => x.state), ["active"]);
  assert.equal((await fetch(d.url + path, { method: "POST" })).status, 202);
});
