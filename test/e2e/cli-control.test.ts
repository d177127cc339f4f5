// Starting, stopping and restarting sessions, and dispatching events, from the CLI.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, sleep, writeProject } from "../helpers/daemon.ts";

const project = {
  "autokitteh.yaml": `version: v2
project:
  name: ctl
  triggers:
    - name: feed
      webhook: {}
      event_type: ping
      filter: "data.n > 1"
      call: main.py:on_ping
`,
  "main.py": `import time

def on_ping(event):
    print("ping", event.data.n)

def hello(event):
    print("hello", event.data["who"], event.data["n"] + 1)

def forever(event):
    print("looping")
    while True:
        time.sleep(0.1)
`,
};

test("session start with inputs, stop with a reason, restart", async (t) => {
  const d = await daemonFor(t);
  assert.equal((await d.cli(["deploy", "--manifest", writeProject(t, project)])).code, 0);
  const started = await d.cli([
    "session",
    "start",
    "--project",
    "ctl",
    "--entrypoint",
    "main.py:hello",
    "--input",
    'who="joe"',
    "--input",
    "n=41",
    "--json",
  ]);
  assert.equal(started.code, 0, started.stderr);
  const id = JSON.parse(started.stdout).session_id;
  assert.equal((await d.waitSession(id)).state, "completed");
  assert.deepEqual(await d.prints(id), ["hello joe 42"]);

  const restarted = await d.cli(["session", "restart", id, "--json"]);
  const again = JSON.parse(restarted.stdout).session_id;
  assert.notEqual(again, id);
  assert.equal((await d.waitSession(again)).state, "completed");
  assert.deepEqual(await d.prints(again), ["hello joe 42"]);

  const loop = JSON.parse(
    (await d.cli(["session", "start", "-o", "ctl", "-p", "main.py:forever", "--json"])).stdout,
  ).session_id;
  for (let i = 0; i < 200 && !(await d.prints(loop)).length; i++) await sleep(50);
  const stopped = await d.cli(["session", "stop", loop, "--reason", "enough"]);
  assert.equal(stopped.code, 0, stopped.stderr);
  const s = await d.waitSession(loop);
  assert.equal(s.state, "stopped");
  assert.equal(s.error, "enough");
  const again2 = await d.cli(["session", "stop", loop]);
  assert.equal(again2.code, 42);

  assert.equal((await d.cli(["session", "start", "-o", "ctl", "-p", "nope"])).code, 40);
  assert.equal(
    (await d.cli(["session", "start", "-o", "missing", "-p", "main.py:hello"])).code,
    44,
  );
});

test("event dispatch matches trigger filters; redispatch; verify-filter", async (t) => {
  const d = await daemonFor(t);
  assert.equal((await d.cli(["deploy", "--manifest", writeProject(t, project)])).code, 0);
  // A ping with data n=<n> to the trigger feed, whose filter lets n > 1 through.
  const dispatch = async (n: number) => {
    const args = ["-p", "ctl", "--trigger", "feed", "-e", "ping", "-d", `n=${n}`, "--json"];
    return JSON.parse((await d.cli(["event", "dispatch", ...args])).stdout);
  };
  const low = await dispatch(1);
  assert.deepEqual(low.session_ids, []);
  const high = await dispatch(2);
  assert.equal(high.session_ids.length, 1);
  assert.equal((await d.waitSession(high.session_ids[0])).state, "completed");
  assert.deepEqual(await d.prints(high.session_ids[0]), ["ping 2"]);
  const re = JSON.parse((await d.cli(["event", "redispatch", high.event_id, "--json"])).stdout);
  assert.notEqual(re.event_id, high.event_id);
  assert.equal(re.session_ids.length, 1);
  const event = JSON.parse((await d.cli(["event", "get", re.event_id, "--json"])).stdout);
  assert.equal(event.memo.redispatch_of, high.event_id);

  assert.equal((await d.cli(["event", "verify-filter", "data.x > 1 && has(data.y)"])).code, 0);
  const bad = await d.cli(["event", "verify-filter", "data.x >"]);
  assert.equal(bad.code, 40);
  assert.match(bad.stderr, /1:\d+/);
});
