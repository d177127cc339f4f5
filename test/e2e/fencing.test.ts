// Fenced journal commits (docs/scale.md): a node paused past its lease, whose session
// another node took over and finished, writes nothing of that session once it resumes.
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { sessionDir, sleep, tempHome, webhookPath, writeProject } from "../helpers/daemon.ts";
import { startNodes } from "../helpers/nodes.ts";
import { queryDb } from "../helpers/stored.ts";

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test("a node paused past its lease commits nothing of the session another node took", async (t) => {
  // Started first: the daemons stop before the dirs made after them go (SIGKILL ends a
  // stopped process too).
  const { daemons: [a, b], db } = await startNodes(t, 2, [
    "--lease-ttl",
    "1",
    "--hibernate-after",
    "off",
  ]);
  const effects = join(sessionDir(tempHome(t)), "effects.txt");
  writeFileSync(effects, "");
  chmodSync(effects, 0o666);

  const project = writeProject(t, {
    "autokitteh.yaml": `version: v1
project:
  name: fenced
  vars:
    - name: EFFECTS
      value: ${effects}
  triggers:
    - name: go
      webhook: {}
      call: main.py:main
`,
    "main.py": `import os
import time
import autokitteh

def effect(line):
    with open(os.environ["EFFECTS"], "a") as f:
        f.write(line + "\\n")

@autokitteh.activity
def mark(name):
    effect(name)
    return name

@autokitteh.activity
def slow():
    effect("slow")
    time.sleep(3)
    print("slow done")
    return "slow"

def main(event):
    mark("one")
    slow()
    mark("two")
    print("done")
`,
  });
  const deployed = await a.cli(["deploy", "--manifest", project]);
  assert.equal(deployed.code, 0, deployed.stderr);
  const res = await fetch(a.url + webhookPath(deployed.stdout, "go"), { method: "POST" });
  assert.equal(res.status, 202);
  const lines = () => readFileSync(effects, "utf8").trim().split("\n").filter(Boolean);

  // A is paused in the slow activity; its runner goes on, and its result waits in A's
  // socket. B takes the session once A's lease has run out, runs `slow` again (its result
  // never committed) and finishes it.
  await until("the slow activity on A", () => lines().includes("slow"));
  process.kill(a.proc!.pid!, "SIGSTOP");
  const s = await b.waitSession("fenced", 60_000);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(lines(), ["one", "slow", "slow", "two"]);

  const hex = db.startsWith("file:") ? "hex(result)" : "encode(result, 'hex')";
  const snapshot = async () => {
    const rows = async (sql: string) =>
      (await queryDb(db, sql, [s.session_id])).map((r) => JSON.stringify(r));
    return {
      session: await rows(
        "SELECT state, runs, owner, lease_epoch, ended_at, updated_at FROM sessions WHERE id = ?",
      ),
      steps: await rows(
        `SELECT seq, kind, name, started_at, completed_at, ${hex} AS result
         FROM session_steps WHERE session_id = ? ORDER BY seq`,
      ),
      logs: await rows(
        "SELECT seq, type, data, created_at FROM session_logs WHERE session_id = ? ORDER BY seq",
      ),
    };
  };
  const before = await snapshot();
  assert.deepEqual(
    before.steps.map((r) => JSON.parse(r).name),
    ["mark", "slow", "mark"],
    "one step each, in order",
  );

  // A resumes: what its run still had to write (the slow activity's result, its print) is
  // refused, and A leaves the session, saying why.
  process.kill(a.proc!.pid!, "SIGCONT");
  await until(
    "A to leave the session",
    () => a.stderr.split("\n").some((l) => /lease lost/.test(l) && l.includes(s.session_id)),
  );
  // Whatever A still had queued has been tried by now (A answers: its loop is past it).
  await a.api("/api/sessions");
  await sleep(1000);
  assert.deepEqual(await snapshot(), before, "nothing of A's run after B took over is visible");
  assert.deepEqual(await b.prints(s.session_id), ["slow done", "done"]);
  assert.deepEqual(lines(), ["one", "slow", "slow", "two"]);
});
