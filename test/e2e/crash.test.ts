// Crash recovery of durable sessions: kill -9 of the daemon (between two activities,
// during a durable sleep) and of the runner; each activity runs exactly once (counted in
// a file) and each print is logged once. A handler changed between crash and resume
// gets the non-determinism error; a non-durable session running when the daemon dies
// ends in error.
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { daemonFor, sleep, type TestDaemon, writeProject } from "../helpers/daemon.ts";

const HANDLERS = `
import os
import select
import time

import autokitteh

WORK = os.environ["WORK_DIR"]


@autokitteh.activity
def record(name):
    """The side effect: one line per run of the activity."""
    with open(os.path.join(WORK, "count.txt"), "a") as f:
        f.write(name + "\\n")
    return name


@autokitteh.activity
def other(name):
    return name


@autokitteh.inhibit_activities
def wait_for(name):
    """Tell the test that this run got here (with the runner's pid), then wait for go."""
    with open(os.path.join(WORK, "at-" + name), "a") as f:
        f.write(str(os.getpid()) + "\\n")
    while not os.path.exists(os.path.join(WORK, "go-" + name)):
        select.select([], [], [], 0.05)


def between(event):
    print("start")
    record("one")
    print("after one")
    wait_for("between")
    record("two")
    print("end")
    return "done"


def sleeper(event):
    print("start")
    record("one")
    print("before sleep")
    time.sleep(3)
    print("after sleep")
    record("two")
    print("end")


def runner(event):
    print("start")
    record("one")
    print("after one")
    wait_for("runner")
    record("two")
    print("end")


def changed(event):
    print("start")
    record("one")
    wait_for("changed")
    record("two")
    print("end")


def plain(event):
    print("start")
    wait_for("plain")
    print("end")
`;

type Setup = { d: TestDaemon; work: string };

async function setup(t: { after(fn: () => unknown): void }): Promise<Setup> {
  const work = mkdtempSync(join(tmpdir(), "pounce-crash-"));
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

async function startSession(d: TestDaemon, fn: string, durable = true): Promise<string> {
  const { session_id } = await d.api<{ session_id: string }>("/api/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ project: "crash", entrypoint: `main.py:${fn}`, durable }),
  });
  return session_id;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>) {
  const deadline = Date.now() + 30_000;
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
function arrival(work: string, name: string, n: number): Promise<number> {
  return until(`runner ${n} at ${name}`, () => arrivals(work, name)[n - 1]);
}

function gone(pid: number): Promise<true> {
  return until(`process ${pid} to exit`, () => alive(pid) ? undefined : true);
}

// Reads the daemon's database (a second reader of the libSQL file).
async function query(d: TestDaemon, sql: string, args: (string | number)[] = []) {
  const client = createClient({ url: `file:${join(d.home, "pounce.db")}` });
  try {
    return (await client.execute({ sql, args })).rows;
  } finally {
    client.close();
  }
}

function count(work: string): string[] {
  return lines(join(work, "count.txt"));
}

test("kill -9 of the daemon between two activities: replay runs each activity once", async (t) => {
  const { d, work } = await setup(t);
  const id = await startSession(d, "between");
  const pid = await arrival(work, "between", 1);
  assert.deepEqual(count(work), ["one"]);

  await d.kill();
  await gone(pid); // the runner does not outlive its daemon
  writeFileSync(join(work, "go-between"), "");
  await d.start();

  const s = await d.waitSession(id, 30_000);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.equal(s.return_value, "'done'");
  assert.deepEqual(count(work), ["one", "two"]);
  assert.deepEqual(await d.prints(id), ["start", "after one", "end"]);
  assert.equal(arrivals(work, "between").length, 2); // the replay ran the workflow again
  const log = await d.cli(["session", "log", id, "--json"]);
  assert.equal(log.code, 0, log.stderr);
  const specs = log.stdout.trim().split("\n").map((l) => JSON.parse(l))
    .filter((r) => r.type === "call_spec");
  assert.deepEqual(specs.map((r) => r.data.function), ["record", "record"]);
});

test("kill -9 of the daemon during a durable sleep: only the rest of it is waited", async (t) => {
  const { d, work } = await setup(t);
  const id = await startSession(d, "sleeper");
  const before = await until("the sleep step", async () => {
    const rows = await query(
      d,
      "SELECT seq, deadline, completed_at FROM session_steps WHERE session_id = ? AND kind = 'sleep'",
      [id],
    );
    return rows[0];
  });
  await d.kill();
  const [during] = await query(
    d,
    "SELECT deadline, completed_at FROM session_steps WHERE session_id = ? AND kind = 'sleep'",
    [id],
  );
  assert.equal(during.completed_at, null, "the daemon was killed after the sleep ended");
  assert.deepEqual(count(work), ["one"]);
  await d.start();

  const s = await d.waitSession(id, 30_000);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(count(work), ["one", "two"]);
  assert.deepEqual(await d.prints(id), ["start", "before sleep", "after sleep", "end"]);
  const steps = await query(
    d,
    "SELECT seq, kind, name, deadline, completed_at FROM session_steps WHERE session_id = ? ORDER BY seq",
    [id],
  );
  assert.deepEqual(
    steps.map((r) => `${r.seq} ${r.kind} ${r.name}`),
    ["1 activity record", "2 sleep sleep", "3 activity record"],
  );
  // The resumed session kept the deadline set before the crash: a timer, not a new sleep.
  assert.equal(steps[1].deadline, before.deadline);
  assert.ok(Number(steps[1].completed_at) >= Number(before.deadline));
});

test("a killed runner is replaced and the session replayed", async (t) => {
  const { d, work } = await setup(t);
  const id = await startSession(d, "runner");
  const first = await arrival(work, "runner", 1);
  process.kill(first, "SIGKILL");
  const second = await arrival(work, "runner", 2);
  assert.notEqual(second, first);
  writeFileSync(join(work, "go-runner"), "");

  const s = await d.waitSession(id, 30_000);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(count(work), ["one", "two"]);
  assert.deepEqual(await d.prints(id), ["start", "after one", "end"]);
  const [row] = await query(d, "SELECT runs FROM sessions WHERE id = ?", [id]);
  assert.equal(row.runs, 2);
});

test("a runner that keeps dying ends the session in error, saying why", async (t) => {
  const { d, work } = await setup(t);
  const id = await startSession(d, "runner");
  for (let n = 1;; n++) {
    const pid = await until(`runner ${n} or the end`, async () => {
      const pid = arrivals(work, "runner")[n - 1];
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
  assert.deepEqual(count(work), ["one"]); // recorded once, replayed on every later run
});

test("a handler changed between crash and resume fails with the non-determinism error", async (t) => {
  const { d, work } = await setup(t);
  const id = await startSession(d, "changed");
  const pid = await arrival(work, "changed", 1);
  const { session } = await d.api<{ session: { build_id: string } }>(`/api/sessions/${id}`);
  await d.kill();
  await gone(pid);

  const file = join(d.home, "builds", session.build_id, "main.py");
  const code = readFileSync(file, "utf8");
  const edited = code.replace(
    'def changed(event):\n    print("start")\n    record("one")',
    'def changed(event):\n    print("start")\n    other("one")',
  );
  assert.notEqual(edited, code);
  writeFileSync(file, edited);
  writeFileSync(join(work, "go-changed"), "");
  await d.start();

  const s = await d.waitSession(id, 30_000);
  assert.equal(s.state, "error");
  assert.match(
    s.error ?? "",
    /non-determinism at step 1: journal has activity 'record', code called activity 'other'/,
  );
  assert.deepEqual(count(work), ["one"]);
  assert.deepEqual(await d.prints(id), ["start"]);
});

test("a non-durable session running when the daemon dies ends in error", async (t) => {
  const { d, work } = await setup(t);
  const id = await startSession(d, "plain", false);
  const pid = await arrival(work, "plain", 1);
  await d.kill();
  await gone(pid);
  writeFileSync(join(work, "go-plain"), "");
  await d.start();

  const s = await d.waitSession(id);
  assert.equal(s.state, "error");
  assert.match(s.error ?? "", /daemon restarted/);
  assert.equal(arrivals(work, "plain").length, 1); // not run again
  assert.deepEqual(await d.prints(id), ["start"]);
});
