// Durable activity steps as the log and the journal see them: a quick activity's call comes
// with its result (one frame), a long one's call is logged while it runs, and a resume
// replays many recorded steps of every kind (sent in one journal frame) to the same values.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { daemonFor, sessionDir, sleep, webhookPath, writeProject } from "../helpers/daemon.ts";

const project = {
  "autokitteh.yaml": `version: v1
project:
  name: steps
  triggers:
    - name: long
      webhook: {}
      event_type: post
      call: main.py:long
    - name: many
      webhook: {}
      event_type: post
      call: main.py:many
    - name: feed
      webhook: {}
      event_type: put
`,
  "main.py": `import os
import random
import time
import autokitteh

@autokitteh.activity
def quick(x):
    return x + 1

@autokitteh.activity
def wait_for(path):
    while not os.path.exists(path):
        time.sleep(0.01)
    return "went"

def long(event):
    return [quick(1), wait_for(event.data.body.json["go"])]

def many(event):
    values = []
    for i in range(300):
        values.append(random.random())
        if i % 50 == 0:
            autokitteh.set_value("last", i)
            time.sleep(0.001)
    print("before", sum(values), autokitteh.get_value("last"))
    sub = autokitteh.subscribe("feed", "data.body.text == 'go'")
    autokitteh.next_event(sub)
    print("after", sum(values), autokitteh.get_value("last"))
`,
};

// The API spreads a record's data into it (so `seq` is the step's).
type Rec = { type: string; seq: number; step?: number; [field: string]: unknown };
type S = { session_id: string; state: string; hibernated: boolean; error: string | null };

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test("durable steps: calls in the log, long and quick; a resume of many steps", async (t) => {
  const d = await daemonFor(t, {}, ["--hibernate-after", "0.3"]);
  const out = await d.cli(["deploy", "--manifest", writeProject(t, project)]);
  assert.equal(out.code, 0, out.stderr);
  const hook = (name: string) => d.url + webhookPath(out.stdout, name);
  const latest = async () =>
    (await d.api<{ sessions: S[] }>("/api/sessions?project=steps")).sessions[0].session_id;
  const records = async (id: string) =>
    (await d.api<{ records: Rec[] }>(`/api/sessions/${id}/log`)).records
      .filter((r) => r.type.startsWith("call_"));

  await t.test("a long activity's call is logged while it runs", async () => {
    const dir = sessionDir(mkdtempSync(join(tmpdir(), "pounce-steps-")));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const go = join(dir, "go");
    await fetch(hook("long"), { method: "POST", body: JSON.stringify({ go }) });
    const id = await latest();
    // The activity waits for the file: its call is in the log before it returns.
    const running = await until("the long activity's call", async () => {
      const recs = await records(id);
      return recs.some((r) => r.type === "call_spec" && r.function === "wait_for")
        ? recs
        : undefined;
    });
    assert.equal(
      running.filter((r) => r.type === "call_attempt_complete" && r.step === 2).length,
      0,
    );
    writeFileSync(go, "");
    const s = await d.waitSession(id);
    assert.equal(s.state, "completed", s.error ?? "");
    assert.equal((s as unknown as { return_value: string }).return_value, "[2, 'went']");
    const recs = await records(id);
    assert.deepEqual(recs.map((r) => `${r.type} ${r.step}`), [
      "call_spec 1",
      "call_attempt_start 1",
      "call_attempt_complete 1",
      "call_spec 2",
      "call_attempt_start 2",
      "call_attempt_complete 2",
    ]);
    assert.deepEqual([recs[0].function, recs[0].args, recs[0].kwargs], ["quick", ["1"], {}]);
    assert.equal(recs[2].result, "2");
    assert.equal(recs[5].result, "'went'");
    const log = await d.cli(["session", "log", id]);
    assert.match(log.stdout, /call +#1 quick\(1\)\n/);
    assert.match(log.stdout, /return +#2 -> 'went'\n/);
    const json = await d.cli(["session", "log", id, "--json"]);
    const seqs = json.stdout.trim().split("\n").map((line) => JSON.parse(line).seq);
    assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i));
  });

  await t.test("a resume replays many steps of every kind to the same values", async () => {
    await fetch(hook("many"), { method: "POST" });
    const id = await latest();
    const session = async () => (await d.api<{ session: S }>(`/api/sessions/${id}`)).session;
    await until("hibernation", async () => (await session()).hibernated || undefined);
    await fetch(hook("feed"), { method: "PUT", body: "go" });
    const s = await d.waitSession(id);
    assert.equal(s.state, "completed", s.error ?? "");
    const [before, after] = await d.prints(id);
    assert.match(before, /^before [\d.]+ 250$/);
    assert.equal(after, before.replace("before", "after"));
    // 300 activities ran once each: the replay took them from the journal.
    const specs = (await records(id)).filter((r) => r.type === "call_spec");
    assert.equal(specs.length, 300);
  });
});
