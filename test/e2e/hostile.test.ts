// Hostile input: bad manifests and filters, webhook bodies that are not UTF-8, too big or
// too slow, huge headers, replayed Slack and GitHub requests, path traversal in uploaded
// file names, handlers that print without end, start processes, or never return. Each
// gets a clear error and leaves nothing half-written.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { githubSignature, slackSignature, waitFor } from "../helpers/fakes.ts";
import {
  fileScope,
  ROOT,
  sessionDir,
  type SessionJson,
  tempHome,
  TestDaemon,
  webhookPath,
  writeProject,
} from "../helpers/daemon.ts";

const scope = fileScope();

const SLACK_SECRET = "hostile-slack-signing-secret";
const GITHUB_SECRET = "hostile-github-webhook-secret";
const work = sessionDir(mkdtempSync(join(tmpdir(), "pounce-hostile-")));
scope.after(() => rmSync(work, { recursive: true, force: true }));

const HANDLERS = `
import os
import select
import subprocess
import time


def on_hook(event):
    body = event.data.body
    print("text", body.text is None, "json", body.json)


def on_chatty(event):
    print("x" * 100_000_000)
    for _ in range(300):
        print("y" * 40_000)
    print("done")


def on_forks(event):
    pids = [subprocess.Popen(["sleep", "300"]).pid for _ in range(20)]
    with open(os.path.join(os.environ["WORK_DIR"], "pids"), "w") as f:
        f.write("\\n".join(map(str, pids)))
    print("started", len(pids))


def on_forged_done(event):
    from pounce import syscall

    with open(os.path.join(os.environ["WORK_DIR"], "forger"), "w") as f:
        f.write(str(os.getpid()))
    # What the runner sends at the handler's end, sent by the session while it goes on.
    syscall._handler.__self__.chan.post({"t": "done", "display": "'forged'"})
    time.sleep(3600)


def on_forever(event):
    while True:
        select.select([], [], [], 0.2)


def on_sleeper(event):
    time.sleep(3600)


def on_event(event):
    print("event", event.event_type)
`;

// Four nested macros over 30 items: 810,000 iterations unbounded, true if run to the end.
const items = `[${Array(30).fill("1").join(",")}]`;
const LOOPY = `${items}.all(a, ${items}.all(b, ${items}.all(c, ${items}.all(d, true))))`;

const MANIFEST = `version: v2
project:
  name: hostile
  vars:
    - name: WORK_DIR
      value: ${work}
  connections:
    - name: sl
      integration: slack
      vars:
        - name: install_ids
          value: "A1//T1"
        - name: private_signing_secret
          value: ${SLACK_SECRET}
    - name: gh
      integration: github
      vars:
        - name: pat
          value: ghp_hostile
        - name: pat_secret
          value: ${GITHUB_SECRET}
  triggers:
    - name: hook
      webhook: {}
      call: main.py:on_hook
    - name: chatty
      webhook: {}
      call: main.py:on_chatty
    - name: forks
      webhook: {}
      call: main.py:on_forks
    - name: loopy
      webhook: {}
      filter: "${LOOPY}"
      call: main.py:on_hook
    - name: mention
      connection: sl
      event_type: app_mention
      call: main.py:on_event
    - name: issues
      connection: gh
      event_type: issues
      call: main.py:on_event
    - name: forged_done
      webhook: {}
      call: main.py:on_forged_done
    - name: forever
      webhook: {}
      call: main.py:on_forever
    - name: sleeper
      webhook: {}
      is_durable: true
      call: main.py:on_sleeper
`;

let d: TestDaemon;
let deployOut = "";
let githubPath = "";

before(async () => {
  d = new TestDaemon(tempHome(scope), { POUNCE_GITHUB_API_URL: "http://127.0.0.1:9" });
  scope.after(() => d.kill());
  await d.start(["--header-timeout", "1", "--request-timeout", "2", "--session-timeout", "6"]);
  const res = await d.cli([
    "deploy",
    "--manifest",
    writeProject(scope, { "autokitteh.yaml": MANIFEST, "main.py": HANDLERS }),
  ]);
  assert.equal(res.code, 0, res.stderr);
  deployOut = res.stdout;
  const m = res.stdout.match(/connection "gh" webhook_url: \S+(\/github\/webhook\/\w+)/);
  assert.ok(m, res.stdout);
  githubPath = m[1];
});

async function deploy(manifest: string, files: Record<string, string> = {}) {
  const res = await fetch(d.url + "/api/deploy", {
    method: "POST",
    headers: { authorization: `Bearer ${d.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      manifest,
      files: Object.fromEntries(
        Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
      ),
    }),
  });
  return { status: res.status, body: await res.json() as { error?: string } };
}

async function projectNames(): Promise<string[]> {
  const { projects } = await d.api<{ projects: { name: string }[] }>("/api/projects");
  return projects.map((p) => p.name);
}

async function sessionFor(eventId: string): Promise<SessionJson & { session_id: string }> {
  const id = await waitFor("the event's session", async () => {
    const { sessions } = await d.api<{ sessions: { session_id: string }[] }>(
      `/api/sessions?project=hostile&event=${eventId}`,
    );
    return sessions[0]?.session_id;
  });
  return await d.waitSession(id, 60_000) as SessionJson & { session_id: string };
}

async function hook(trigger: string, init: RequestInit = {}): Promise<Response> {
  return await fetch(d.url + webhookPath(deployOut, trigger), { method: "POST", ...init });
}

async function eventCount(): Promise<number> {
  const { events } = await d.api<{ events: unknown[] }>("/api/events?project=hostile");
  return events.length;
}

test("bad manifests are refused with the field at fault, and nothing is stored", async () => {
  const ok = (body: string) => `version: v2\nproject:\n  name: evil\n${body}`;
  const cases: [string, string, RegExp][] = [
    ["huge", ok(`  display_name: "${"a".repeat(2 << 20)}"\n`), /larger than 1048576 bytes/],
    ["deep", ok(`  display_name: ${"[".repeat(5000)}${"]".repeat(5000)}\n`), /nested deeper/],
    ["unknown key", ok("  colour: red\n"), /project\.colour: unknown field/],
    ["bad name", "version: v2\nproject:\n  name: ../../etc\n", /project\.name: must be letters/],
    ["long name", `version: v2\nproject:\n  name: ${"a".repeat(500)}\n`, /at most 128/],
    [
      "alias bomb",
      [
        "a: &a [x, x, x, x, x, x, x, x, x]",
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
        "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]",
        "version: v2",
        "project: {name: evil}",
      ].join("\n"),
      /resource exhaustion/,
    ],
    [
      "filter that does not compile",
      ok("  triggers:\n    - name: t\n      webhook: {}\n      filter: 'data.a =='\n"),
      /project\.triggers\[0\]\.filter: .*Syntax error/,
    ],
    [
      "filter too long",
      ok(
        `  triggers:\n    - name: t\n      webhook: {}\n      filter: '${
          "1 == 1 && ".repeat(500)
        }true'\n`,
      ),
      /filter: longer than 4096/,
    ],
  ];
  for (const [what, manifest, error] of cases) {
    const res = await deploy(manifest);
    assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error ?? "", error, what);
  }
  assert.ok(!(await projectNames()).includes("evil"));
});

test("uploaded file names cannot leave the build, and the number of files is bounded", async () => {
  const manifest = "version: v2\nproject:\n  name: traversal\n";
  for (const name of ["../evil.py", "/tmp/evil.py", "a/../../evil.py", "a\\..\\evil.py", "a//b"]) {
    const res = await deploy(manifest, { [name]: "print('pwned')" });
    assert.equal(res.status, 400, name);
    assert.match(res.body.error ?? "", /bad file name/, name);
  }
  const many: Record<string, string> = {};
  for (let i = 0; i <= 5000; i++) many[`f${i}.txt`] = "";
  const res = await deploy(manifest, many);
  assert.equal(res.status, 400);
  assert.match(res.body.error ?? "", /more than 5000 files/);
  assert.ok(!(await projectNames()).includes("traversal"));
  assert.ok(!existsSync(join(d.home, "evil.py")) && !existsSync(join(d.home, "builds", "evil.py")));
});

test("a filter that would loop long is cut off and does not match", async () => {
  const res = await hook("loopy");
  assert.equal(res.status, 202);
  const eventId = res.headers.get("AutoKitteh-Event-ID")!;
  // Dispatch happens before the answer: no session was started for the event.
  const { sessions } = await d.api<{ sessions: unknown[] }>(`/api/sessions?event=${eventId}`);
  assert.equal(sessions.length, 0);
});

test("a body that is not UTF-8 arrives as bytes", async () => {
  const res = await hook("hook", { body: new Uint8Array([0xff, 0xfe, 0x80, 0x41]) });
  assert.equal(res.status, 202);
  const s = await sessionFor(res.headers.get("AutoKitteh-Event-ID")!);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints(s.session_id), ["text True json None"]);
});

test("too big bodies get 413, with or without a length, and store nothing", async () => {
  const before = await eventCount();
  const big = new Uint8Array(600 * 1024);
  const res = await hook("hook", { body: big });
  assert.equal(res.status, 413);
  assert.match((await res.json()).error, /body larger than/);
  // Chunked, no length: over a raw socket, since the daemon answers and closes while a
  // fetch() client may still be uploading (which fetch reports as a failure).
  const chunk = "x".repeat(100 * 1024);
  const answer = await rawExchange((write) => {
    write(
      `POST ${webhookPath(deployOut, "hook")} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` +
        "Transfer-Encoding: chunked\r\n\r\n",
    );
    // A chunk at a time, so that the daemon has read all that was sent when it answers and
    // closes (unread bytes would make its kernel reset the connection, losing the answer).
    let sent = 0;
    const timer = setInterval(() => {
      if (sent++ < 10) write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      else {
        write("0\r\n\r\n");
        clearInterval(timer);
      }
    }, 20);
    return () => clearInterval(timer);
  });
  assert.match(answer, /^HTTP\/1\.1 413/);
  assert.equal(await eventCount(), before);
});

// A raw HTTP exchange: what the daemon answers (if anything) before it closes.
function rawExchange(send: (write: (s: string) => void) => () => void): Promise<string> {
  const { hostname, port } = new URL(d.url);
  return new Promise((resolve) => {
    const sock = connect(Number(port), hostname);
    let answer = "";
    let stop = () => {};
    sock.setEncoding("utf8");
    sock.on("data", (chunk) => (answer += chunk));
    sock.on("error", () => {});
    sock.on("close", () => {
      stop();
      resolve(answer);
    });
    sock.on("connect", () => {
      stop = send((s) => sock.writable && sock.write(s));
    });
  });
}

test("huge headers get 431; slow headers and slow bodies are cut off", async () => {
  const path = webhookPath(deployOut, "hook");
  const huge = await rawExchange((write) => {
    write(`POST ${path} HTTP/1.1\r\nHost: x\r\nX-Huge: ${"a".repeat(64 * 1024)}\r\n\r\n`);
    return () => {};
  });
  assert.match(huge, /^HTTP\/1\.1 431/);
  // Slowloris: a header line every 200 ms, never ending the headers.
  const slowHeaders = rawExchange((write) => {
    write(`POST ${path} HTTP/1.1\r\nHost: x\r\n`);
    const timer = setInterval(() => write("X-Slow: 1\r\n"), 200);
    return () => clearInterval(timer);
  });
  // A body sent a byte every 200 ms.
  const slowBody = rawExchange((write) => {
    write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n`);
    const timer = setInterval(() => write("a"), 200);
    return () => clearInterval(timer);
  });
  // Meanwhile the daemon serves others.
  assert.equal((await fetch(d.url + "/healthz")).status, 200);
  const [headersAnswer, bodyAnswer] = await Promise.all([slowHeaders, slowBody]);
  assert.match(headersAnswer, /^HTTP\/1\.1 408/);
  assert.ok(!/^HTTP\/1\.1 202/.test(bodyAnswer), bodyAnswer);
});

test("a replayed Slack request is refused, and so is an old one", async () => {
  const body = JSON.stringify({
    team_id: "T1",
    api_app_id: "A1",
    type: "event_callback",
    event_id: "EvReplay",
    event_time: 1,
    authorizations: [{ team_id: "T1", user_id: "UBOT", is_bot: true }],
    event: { type: "app_mention", user: "U1", text: "hi", channel: "C1", ts: "1.1" },
  });
  const send = (timestamp: number) =>
    fetch(d.url + "/slack/event", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": slackSignature(SLACK_SECRET, String(timestamp), body),
      },
      body,
    });
  const ts = Math.floor(Date.now() / 1000);
  const before = await eventCount();
  assert.equal((await send(ts)).status, 200);
  const replay = await send(ts);
  assert.equal(replay.status, 409);
  assert.match((await replay.json()).error, /replayed request/);
  const old = await send(ts - 600);
  assert.equal(old.status, 403);
  assert.match((await old.json()).error, /stale/);
  assert.equal(await eventCount(), before + 1);
});

test("a replayed GitHub delivery is refused", async () => {
  const body = JSON.stringify({
    action: "opened",
    issue: { number: 1, title: "t", body: "" },
    repository: { full_name: "o/r" },
    sender: { login: "octocat" },
  });
  const delivery = crypto.randomUUID();
  const send = () =>
    fetch(d.url + githubPath, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": delivery,
        "x-hub-signature-256": githubSignature(GITHUB_SECRET, body),
      },
      body,
    });
  const before = await eventCount();
  assert.equal((await send()).status, 200);
  const replay = await send();
  assert.equal(replay.status, 409);
  assert.match((await replay.json()).error, /replayed delivery/);
  assert.equal(await eventCount(), before + 1);
});

test("prints are cut per print and per session", async () => {
  const res = await hook("chatty");
  assert.equal(res.status, 202);
  const s = await sessionFor(res.headers.get("AutoKitteh-Event-ID")!);
  assert.equal(s.state, "completed", s.error ?? "");
  const prints = await d.prints(s.session_id);
  assert.equal(prints[0], "x".repeat(64 * 1024) + " ... (cut)");
  const total = prints.reduce((n, p) => n + p.length, 0);
  assert.ok(total < 8 * 1024 * 1024 + 200, `printed ${total} characters`);
  assert.match(prints.at(-1)!, /later prints are dropped$/);
  assert.ok(!prints.includes("done"));
});

function gone(pid: number): boolean {
  try {
    // A zombie (state Z) waits only for its parent to collect it: it is dead.
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? true;
  } catch {
    return true;
  }
}

test("processes a session started die with it", async () => {
  const res = await hook("forks");
  assert.equal(res.status, 202);
  const s = await sessionFor(res.headers.get("AutoKitteh-Event-ID")!);
  assert.equal(s.state, "completed", s.error ?? "");
  const pids = readFileSync(join(work, "pids"), "utf8").split("\n").map(Number);
  assert.equal(pids.length, 20);
  await waitFor("the session's processes to die", () => pids.every(gone));
});

test("a runner that said it is done but goes on is killed all the same", async () => {
  const res = await hook("forged_done");
  assert.equal(res.status, 202);
  const s = await sessionFor(res.headers.get("AutoKitteh-Event-ID")!);
  assert.equal(s.state, "completed", s.error ?? "");
  const pid = Number(readFileSync(join(work, "forger"), "utf8"));
  await waitFor("the runner to die", () => gone(pid));
});

test("a handler that never returns ends in error at the session timeout", async () => {
  for (const trigger of ["forever", "sleeper"]) {
    const res = await hook(trigger);
    assert.equal(res.status, 202);
    const s = await sessionFor(res.headers.get("AutoKitteh-Event-ID")!);
    assert.equal(s.state, "error", trigger);
    assert.match(s.error ?? "", /session timed out after 6 s/, trigger);
  }
});

test("the daemon never unpickles: pickles pass through it as bytes", () => {
  const src = join(ROOT, "src");
  const files = (readdirSync(src, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".gen.ts"));
  assert.ok(files.length > 50);
  for (const f of files) {
    const text = readFileSync(join(src, f), "utf8");
    assert.doesNotMatch(text, /unpickl|pickle\.loads?\b|from ["'][^"']*pickle/i, f);
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
  assert.ok(!deps.some((n) => /pickle/i.test(n)), deps.join(", "));
});
