// Errors in work nobody awaits cannot take the daemon down: a background write that fails
// (POUNCE_FAIL, src/core/util/faults.ts) is logged, its session goes on, and the daemon keeps
// serving.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, writeProject } from "../helpers/daemon.ts";
import { runHook } from "../helpers/webhook-session.ts";

const MANIFEST = `version: v1
project:
  name: napper
  triggers:
    - name: hook
      webhook: {}
      call: main.py:nap
      is_durable: true
`;

const MAIN = `import time


def nap(event):
    print("before")
    time.sleep(0.1)
    print("after")
`;

test("a failing background write is logged and the daemon keeps serving", async (t) => {
  // The write that ends the durable sleep runs from a timer, and fails once.
  const d = await daemonFor(t, { POUNCE_FAIL: "sleep.complete" }, ["--hibernate-after", "off"]);
  const path = writeProject(t, { "autokitteh.yaml": MANIFEST, "main.py": MAIN });
  const deployed = await d.cli(["deploy", "--manifest", path]);
  assert.equal(deployed.code, 0, deployed.stderr);

  const s = await runHook(d, deployed.stdout, "napper");
  // The run ends and the session replays: its sleep is over by then.
  assert.equal(s.state, "completed", `${s.error}\n${d.stderr}`);
  assert.deepEqual(await d.prints(s.session_id), ["before", "after"]);
  assert.match(d.stderr, /ending a sleep failed .*injected failure at sleep\.complete/);

  assert.equal(d.proc!.exitCode, null, d.stderr);
  const health = await fetch(`${d.url}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { ok: true });
});
