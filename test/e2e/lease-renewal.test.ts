// Lease upkeep: a session that starts while this node's lease renewal commits is not taken
// for one whose lease was lost (it was, before: its run was abandoned and ran again later).
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, sleep, webhookPath, writeProject } from "../helpers/daemon.ts";

test("sessions started during a lease renewal keep their runs", async (t) => {
  // Upkeep every 333 ms; each renewal is acted on 250 ms after it committed.
  const d = await daemonFor(t, { POUNCE_DELAY: "lease.renewed:250" }, [
    "--lease-ttl",
    "1",
    "--hibernate-after",
    "off",
  ]);
  const project = writeProject(t, {
    "autokitteh.yaml": `version: v1
project:
  name: renewal
  triggers:
    - name: go
      webhook: {}
      call: main.py:main
`,
    "main.py": `import time

def main(event):
    print("start")
    time.sleep(1)
    print("end")
`,
  });
  const deployed = await d.cli(["deploy", "--manifest", project]);
  assert.equal(deployed.code, 0, deployed.stderr);
  const hook = d.url + webhookPath(deployed.stdout, "go");
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) {
    const res = await fetch(hook, { method: "POST", body: "{}" });
    assert.equal(res.status, 202);
    ids.push(res.headers.get("AutoKitteh-Event-ID")!);
    await sleep(90);
  }
  const { sessions } = await d.api<{ sessions: { session_id: string }[] }>(
    "/api/sessions?project=renewal",
  );
  assert.equal(sessions.length, 12);
  for (const { session_id } of sessions) {
    const s = await d.waitSession(session_id, 30_000);
    assert.equal(s.state, "completed");
    assert.deepEqual(await d.prints(session_id), ["start", "end"], "one run, not two");
  }
  assert.doesNotMatch(d.stderr, /lease lost/);
});
