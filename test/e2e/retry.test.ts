// Retry from the failed step: a durable session that failed in an activity runs that
// activity again, the steps before it replayed (not run again); anything else is refused.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { daemonFor, webhookPath, writeProject } from "../helpers/daemon.ts";

test("session retry runs the failed activity again and replays the steps before it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-retry-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const d = await daemonFor(t);
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, {
      "autokitteh.yaml": `version: v1
project:
  name: retry
  vars:
    - name: DIR
      value: "${dir}"
  triggers:
    - name: go
      webhook: {}
      call: main.py:main
    - name: plain
      webhook: {}
      call: main.py:main
      is_durable: false
`,
      "main.py": `import os
import autokitteh

DIR = os.environ["DIR"]


def note(name):
    with open(os.path.join(DIR, name), "a") as f:
        f.write("x")


@autokitteh.activity
def first():
    note("first")
    return 1


@autokitteh.activity
def flaky():
    note("flaky")
    if not os.path.exists(os.path.join(DIR, "fixed")):
        raise RuntimeError("not yet")
    return 2


def main(event):
    return first() + flaky()
`,
    }),
  ]);
  assert.equal(out.code, 0, out.stderr);
  await fetch(d.url + webhookPath(out.stdout, "go"), { method: "POST" });
  const failed = await d.waitSession("retry");
  assert.equal(failed.state, "error");
  assert.match(failed.error ?? "", /not yet/);

  writeFileSync(join(dir, "fixed"), "");
  const retried = await d.cli(["session", "retry", failed.session_id]);
  assert.equal(retried.code, 0, retried.stderr);
  assert.match(retried.stdout, /retried from step 2 \(flaky\)/);
  const s = await d.waitSession(failed.session_id);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.equal(s.return_value, "3");
  // first() ran once (replayed on retry); flaky() twice.
  assert.equal(readFileSync(join(dir, "first"), "utf8"), "x");
  assert.equal(readFileSync(join(dir, "flaky"), "utf8"), "xx");

  // A completed session, and a session that is not durable, cannot be retried.
  const again = await d.cli(["session", "retry", failed.session_id]);
  assert.equal(again.code, 42);
  assert.match(again.stderr, /is completed: only a durable session that ended in error/);
  rmSync(join(dir, "fixed"));
  await fetch(d.url + webhookPath(out.stdout, "plain"), { method: "POST" });
  const plain = await d.waitSession("retry");
  assert.notEqual(plain.session_id, failed.session_id);
  assert.equal(plain.state, "error");
  const refused = await d.cli(["session", "retry", plain.session_id]);
  assert.equal(refused.code, 42);
  assert.match(refused.stderr, /is not durable/);
});
