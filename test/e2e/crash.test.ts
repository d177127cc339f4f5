// Crash recovery of durable sessions: kill -9 of the daemon (between two activities,
// during a durable sleep) and of the runner; each activity runs exactly once (counted in
// a file) and each print is logged once. A handler changed between crash and resume
// gets the non-determinism error; a non-durable session running when the daemon dies
// ends in error.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { daemonFor, sessionDir, sleep, type TestDaemon, writeProject } from "../helpers/daemon.ts";
import { dbQuery } from "../helpers/stored.ts";

const HANDLERS = `
import os
import select
import time

import autokitteh

WORK = os.environ["WORK_DIR"]


@autokitteh.activity
def record(key, name):
    """The side effect: one line per run of the activity, in count-<key>.txt."""
    with open(os.path.join(WORK, f"count-{key}.txt"), "a") as f:
        f.write(name + "\\n")
    return name


@autokitteh.activity
def other(key, name):
    return name


@autokitteh.inhibit_activities
def wait_for(key):
    """Tell the test that this run got here (with the runner's pid), then wait for go."""
    with open(os.path.join(WORK, "at-" + key), "a") as f:
        f.write(str(os.getpid()) + "\\n")
    while not os.path.exists(os.path.join(WORK, "go-" + key)):
        select.select([], [], [], 0.05)


def between(event):
    print("start")
    record("between", "one")
    print("after one")
    wait_for("between")
    record("between", "two")
    print("end")
    return "done"


def sleeper(event):
    print("start")
    record("sleeper", "one")
    print("before sleep")
    time.sleep(3)
    print("after sleep")
    record("sleeper", "two")
    print("end")


def runner(event):
    key = event.data.key
    print("start")
    record(key, "one")
    print("after one")
    wait_for(key)
    record(key, "two")
    print("end")


def changed(event):
    print("start")
    record("changed", "one")
    wait_for("changed")
    record("changed", "two")
    print("end")


def plain(event):
    print("start")
    wait_for("plain")
    print("end")


@autokitteh.activity
def step(i):
    return i


def many(event):
    total = 0
    for i in range(1000):
        total += step(i)
    print("total", total)
    wait_for("many")
    print("end")
    return total
`;

type Setup = { d: TestDaemon; work: string };

async function setup(t: { after(fn: () => unknown): void }): Promise<Setup> {
  const work = sessionDir(mkdtempSync(join(tmpdir(), "pounce-crash-")));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const manifest = writeProject(t, {
    "autokitteh.yaml": [
      "version: v2",
      "project:",
      "  name: crash",
      "  vars:",
      "    - name: WORK_DIR",
      `      value: ${work}`,
      "",
    ].join("\n"),
    "main.py": HANDLERS,
  });
  const d = await daemonFor(t);
  const res = await d.cli(["deploy", "--manifest", manifest]);
  assert.equal(res.code, 0, res.stderr);
  return { d, work };
}

async function startSession(
  d: TestDaemon,
  fn: string,
  durable = true,
  inputs: Record<string, unknown> = {},
): Promise<string> {
  const { session_id } = await d.api<{ session_id: string }>("/api/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ project: "crash", entrypoint: `main.py:${fn}`, durable, inputs }),
  });
  return session_id;
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
}

// The pids of the runners that reached wait_for(name), in order.
function arrivals(work: string, name: string): number[] {
  return lines(join(work, `at-${name}`)).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Waits until the n-th runner reached wait_for(name); its pid.
function arrival(work: string, name: string, n: number, timeoutMs?: number): Promise<number> {
  return until(`runner ${n} at ${name}`, () => arrivals(work, name)[n - 1], timeoutMs);
}

function gone(pid: number): Promise<true> {
  return until(`process ${pid} to exit`, () => alive(pid) ? undefined : true);
}

// Reads the daemon's database (a second reader, on either backend).
const query = dbQuery;

// What record(key, ...) recorded, one line per run of the activity.
function count(work: string, key: string): string[] {
  return lines(join(work, `count-${key}.txt`));
}

const SLEEP_STEP =
  "SELECT seq, deadline, completed_at FROM session_steps WHERE session_id = ? AND kind = 'sleep'";

// One crash for four sessions: each waits at its own point when the daemon is killed.
test("kill -9 of the daemon, then `pounce up` again", async (t) => {
  const { d, work } = await setup(t);
  const between = await startSession(d, "between");
  const changed = await startSession(d, "changed");
  const plain = await startSession(d, "plain", false);
  const pids = [
    await arrival(work, "between", 1),
    await arrival(work, "changed", 1),
    await arrival(work, "plain", 1),
  ];
  // Started last, so that it is still sleeping when the daemon dies.
  const sleeper = await startSession(d, "sleeper");
  const sleepStep = await until(
    "the sleep step",
    async () => (await query(d, SLEEP_STEP, [sleeper]))[0],
  );
  const { session } = await d.api<{ session: { build_id: string } }>(`/api/sessions/${changed}`);

  await d.kill();
  for (const pid of pids) await gone(pid); // runners do not outlive their daemon
  const [sleeping] = await query(d, SLEEP_STEP, [sleeper]);
  assert.equal(sleeping.completed_at, null, "the daemon was killed after the sleep ended");
  assert.deepEqual(count(work, "between"), ["one"]);
  assert.deepEqual(count(work, "sleeper"), ["one"]);

  // The handler `changed` now calls another activity first.
  const file = join(d.home, "builds", session.build_id, "main.py");
  const code = readFileSync(file, "utf8");
  const edited = code.replace(
    'def changed(event):\n    print("start")\n    record("changed", "one")',
    'def changed(event):\n    print("start")\n    other("changed", "one")',
  );
  assert.notEqual(edited, code);
  writeFileSync(file, edited);
  for (const name of ["between", "changed", "plain"]) writeFileSync(join(work, `go-${name}`), "");
  await d.start();

  await t.test("between two activities: each activity ran once, each print logged once", async () => {
    const s = await d.waitSession(between, 30_000);
    assert.equal(s.state, "completed", s.error ?? "");
    assert.equal(s.return_value, "'done'");
    assert.deepEqual(count(work, "between"), ["one", "two"]);
    assert.deepEqual(await d.prints(between), ["start", "after one", "end"]);
    assert.equal(arrivals(work, "between").length, 2); // the replay ran the workflow again
    const log = await d.cli(["session", "log", between, "--json"]);
    assert.equal(log.code, 0, log.stderr);
    const specs = log.stdout.trim().split("\n").map((l) => JSON.parse(l))
      .filter((r) => r.type === "call_spec");
    assert.deepEqual(specs.map((r) => r.data.function), ["record", "record"]);
  });

  await t.test("during a durable sleep: the timer kept its deadline", async () => {
    const s = await d.waitSession(sleeper, 30_000);
    assert.equal(s.state, "completed", s.error ?? "");
    assert.deepEqual(count(work, "sleeper"), ["one", "two"]);
    assert.deepEqual(await d.prints(sleeper), ["start", "before sleep", "after sleep", "end"]);
    const steps = await query(
      d,
      "SELECT seq, kind, name, deadline, completed_at FROM session_steps WHERE session_id = ? ORDER BY seq",
      [sleeper],
    );
    assert.deepEqual(
      steps.map((r) => `${r.seq} ${r.kind} ${r.name}`),
      ["1 activity record", "2 sleep sleep", "3 activity record"],
    );
    // Only the rest of the sleep was waited: the deadline set before the crash held.
    assert.equal(steps[1].deadline, sleepStep.deadline);
    assert.ok(Number(steps[1].completed_at) >= Number(sleepStep.deadline));
  });

  await t.test("a handler changed meanwhile gets the non-determinism error", async () => {
    const s = await d.waitSession(changed, 30_000);
    assert.equal(s.state, "error");
    assert.match(
      s.error ?? "",
      /non-determinism at step 1: journal has activity 'record', code called activity 'other'/,
    );
    assert.deepEqual(count(work, "changed"), ["one"]);
    // The runtime's own error is also one of the prints, as AutoKitteh shows it.
    assert.deepEqual(await d.prints(changed), [
      "start",
      "non-determinism at step 1: journal has activity 'record', code called activity 'other'",
    ]);
  });

  await t.test("a non-durable session ends in error, not run again", async () => {
    const s = await d.waitSession(plain);
    assert.equal(s.state, "error");
    assert.match(s.error ?? "", /daemon restarted/);
    assert.equal(arrivals(work, "plain").length, 1);
    assert.deepEqual(await d.prints(plain), ["start"]);
  });
});

test("runners that die", async (t) => {
  const { d, work } = await setup(t);

  const replaced = t.test("a killed runner is replaced and the session replayed", async () => {
    const id = await startSession(d, "runner", true, { key: "once" });
    const first = await arrival(work, "once", 1);
    process.kill(first, "SIGKILL");
    const second = await arrival(work, "once", 2);
    assert.notEqual(second, first);
    writeFileSync(join(work, "go-once"), "");

    const s = await d.waitSession(id, 30_000);
    assert.equal(s.state, "completed", s.error ?? "");
    assert.deepEqual(count(work, "once"), ["one", "two"]);
    assert.deepEqual(await d.prints(id), ["start", "after one", "end"]);
    const [row] = await query(d, "SELECT runs FROM sessions WHERE id = ?", [id]);
    assert.equal(row.runs, 2);
  });

  const givenUp =
    t.test("a runner that keeps dying ends the session in error, saying why", async () => {
      const id = await startSession(d, "runner", true, { key: "always" });
      for (let n = 1;; n++) {
        const pid = await until(`runner ${n} or the end`, async () => {
          const pid = arrivals(work, "always")[n - 1];
          if (pid) return pid;
          const { session } = await d.api<{ session: { state: string } }>(`/api/sessions/${id}`);
          return session.state === "error" ? 0 : undefined;
        });
        if (!pid) break;
        assert.ok(n <= 10, "the runner was replaced without bound");
        process.kill(pid, "SIGKILL");
        await gone(pid);
      }
      const s = await d.waitSession(id);
      assert.equal(s.state, "error");
      assert.match(s.error ?? "", /runner exited \(.*SIGKILL.*\); gave up after \d+ runs/);
      assert.deepEqual(count(work, "always"), ["one"]); // recorded once, then replayed
    });
  const many = t.test("a replay of 1,000 recorded steps runs none of them again", async () => {
    const id = await startSession(d, "many");
    // Each live activity commits its result before returning: allow for a slow disk.
    const first = await arrival(work, "many", 1, 180_000);
    process.kill(first, "SIGKILL");
    await arrival(work, "many", 2);
    writeFileSync(join(work, "go-many"), "");

    const s = await d.waitSession(id, 60_000);
    assert.equal(s.state, "completed", s.error ?? "");
    assert.equal(s.return_value, "499500");
    assert.deepEqual(await d.prints(id), ["total 499500", "end"]);
    const { records } = await d.api<{ records: { type: string }[] }>(`/api/sessions/${id}/log`);
    assert.equal(records.filter((r) => r.type === "call_spec").length, 1000);
    const [row] = await query(d, "SELECT count(*) AS n FROM session_steps WHERE session_id = ?", [
      id,
    ]);
    assert.equal(row.n, 1000);
  });
  await Promise.all([replaced, givenUp, many]);
});
