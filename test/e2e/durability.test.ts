// Group commit and `--durability`: concurrent sessions' journal writes share commits yet
// stay exact (a failing syscall fails alone), and `--durability process` keeps what was
// committed across a kill -9 of the daemon.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { daemonFor, sessionDir, sleep, type TestDaemon, writeProject } from "../helpers/daemon.ts";
import { dbQuery } from "../helpers/stored.ts";

const HANDLERS = `
import os
import autokitteh

WORK = os.environ["WORK_DIR"]


@autokitteh.activity
def record(key, i):
    with open(os.path.join(WORK, f"count-{key}.txt"), "a") as f:
        f.write(f"{i}\\n")
    return i * i


def busy(event):
    key = event.data.key
    total = sum(record(key, i) for i in range(10))
    if event.data.refuse:
        try:
            autokitteh.signal("ses_00000000000000000000000000", "nobody")
        except autokitteh.AutoKittehError as err:
            print("refused", "not found" in str(err))
    autokitteh.add_values("counter", 1)
    print("total", total)
    return total


def waits(event):
    record("waits", 1)
    sub = autokitteh.subscribe("feed")
    print("waiting")
    got = autokitteh.next_event(sub)
    record("waits", 2)
    print("got", got.body.text)
`;

async function setup(t: { after(fn: () => unknown): void }, args: string[]) {
  const work = sessionDir(mkdtempSync(join(tmpdir(), "pounce-durability-")));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const manifest = writeProject(t, {
    "autokitteh.yaml": `version: v1
project:
  name: dur
  vars:
    - name: WORK_DIR
      value: ${work}
  triggers:
    - name: feed
      webhook: {}
`,
    "main.py": HANDLERS,
  });
  const d = await daemonFor(t, {}, args);
  const res = await d.cli(["deploy", "--manifest", manifest]);
  assert.equal(res.code, 0, res.stderr);
  return { d, work, deployOut: res.stdout };
}

async function start(d: TestDaemon, fn: string, inputs: Record<string, unknown> = {}) {
  const { session_id } = await d.api<{ session_id: string }>("/api/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ project: "dur", entrypoint: `main.py:${fn}`, durable: true, inputs }),
  });
  return session_id;
}

function lines(work: string, key: string): string[] {
  try {
    return readFileSync(join(work, `count-${key}.txt`), "utf8").trim().split("\n");
  } catch {
    return [];
  }
}

test("concurrent sessions share commits; each journal is exact; a failing syscall fails alone", async (t) => {
  const { d, work } = await setup(t, []);
  const ids = await Promise.all(
    Array.from({ length: 16 }, (_, n) => start(d, "busy", { key: `k${n}`, refuse: n % 2 === 1 })),
  );
  const ended = await Promise.all(ids.map((id) => d.waitSession(id, 60_000)));
  for (const [n, s] of ended.entries()) {
    assert.equal(s.state, "completed", s.error ?? "");
    const prints = await d.prints(s.session_id);
    assert.deepEqual(prints, n % 2 ? ["refused True", "total 285"] : ["total 285"]);
    assert.deepEqual(lines(work, `k${n}`), ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  }
  for (const [n, id] of ids.entries()) {
    const rows = await dbQuery(
      d,
      "SELECT seq, kind, error, completed_at FROM session_steps WHERE session_id = ? ORDER BY seq",
      [id],
    );
    // 10 activities, the refused signal (journaled as a failure), the store add.
    const kinds = rows.map((r) => `${r.kind}${r.error ? "!" : ""}`);
    const expected = [...Array(10).fill("activity"), ...(n % 2 ? ["signal!"] : []), "store"];
    assert.deepEqual(kinds, expected);
    assert.ok(rows.every((r) => r.completed_at !== null));
  }
  const rows = await dbQuery(d, "SELECT value FROM store_values WHERE key = 'counter'");
  assert.equal(JSON.parse(String(rows[0].value)), 16);
});

test("--durability process: committed steps survive a kill -9 of the daemon", async (t) => {
  const { d, work, deployOut } = await setup(t, [
    "--durability",
    "process",
    "--hibernate-after",
    "off",
  ]);
  const id = await start(d, "waits");
  for (let i = 0; i < 400 && !(await d.prints(id)).includes("waiting"); i++) await sleep(50);
  assert.deepEqual(await d.prints(id), ["waiting"]);
  await d.kill();
  await d.start(["--durability", "process", "--hibernate-after", "off"]);
  const path = deployOut.match(/trigger "feed".*webhook path is "([^"]+)"/)![1];
  // The resumed session subscribes again by replay; the event may come before that.
  for (let i = 0; i < 400; i++) {
    const { session } = await d.api<{ session: { state: string } }>(`/api/sessions/${id}`);
    if (session.state !== "running") break;
    const res = await fetch(d.url + path, { method: "POST", body: "food" });
    assert.equal(res.status, 202);
    const s = await Promise.race([d.waitSession(id, 60_000), sleep(1000).then(() => null)]);
    if (s) break;
  }
  const s = await d.waitSession(id, 60_000);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints(id), ["waiting", "got food"]);
  // The first activity ran once: its committed result was replayed, not run again.
  assert.deepEqual(lines(work, "waits"), ["1", "2"]);
});
