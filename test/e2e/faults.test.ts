// Fault injection: the daemon kills itself (kill -9) at a named point the nth time it gets
// there (POUNCE_FAULT, src/core/util/faults.ts), over several seeds; a runner and a fork server
// are killed from here. After a restart without the fault: every accepted webhook (2xx)
// has its session, no session is left running, every activity whose result was committed
// ran exactly once (side effects are lines in a file), and no print is logged twice. The
// one activity interrupted between its result and its commit ran twice (at-least-once).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  sessionDir,
  type SessionJson,
  sleep,
  tempHome,
  TestDaemon,
  webhookPath,
  writeProject,
} from "../helpers/daemon.ts";

const HANDLERS = `
import json
import os
import select
import time

import autokitteh

WORK = os.environ["WORK_DIR"]


@autokitteh.activity
def record(key):
    """The side effect: one line per run of the activity."""
    with open(os.path.join(WORK, "effects.txt"), "a") as f:
        f.write(key + "\\n")
    return key


@autokitteh.activity
def gated(key):
    """Says where it is (with its pid), waits for a go file, then records its effect."""
    with open(os.path.join(WORK, "at-" + key.replace("/", "_")), "a") as f:
        f.write(str(os.getpid()) + "\\n")
    while not os.path.exists(os.path.join(WORK, "go-" + key.replace("/", "_"))):
        select.select([], [], [], 0.05)
    return record(key)


def on_hook(event):
    body = json.loads(event.data.body.text)
    tag = body["case"] + "/" + str(body["n"])
    print("start " + tag)
    if body.get("gate"):
        gated(tag + "/g")
    record(tag + "/a")
    time.sleep(0.05)
    sub = autokitteh.subscribe("poke", "data.method == 'POST'")
    autokitteh.next_event(sub, timeout=0.05)
    record(tag + "/b")
    print("end " + tag)
`;

// Fault points in the daemon, and how many webhooks reach each one (one session each).
const POINTS = [
  "event.before_store",
  "event.after_store",
  "dispatch.after_commit",
  "session.started",
  "activity.before_commit",
  "activity.after_commit",
  "sleep",
  "next_event",
];
const HOOKS = 4; // webhooks per case while the fault is armed
const SEEDS = Number(process.env.FAULT_SEEDS ?? 2);

// How many activities a kill at `point` runs twice, [fewest, most]: the one whose result
// was not yet committed; after `session.started`, the runner may get through its first
// activity before it sees that the daemon is gone, and the session's replay runs it again.
function twiceAt(point: string): [number, number] {
  if (point === "activity.before_commit") return [1, 1];
  // A durable session starts while its event commits: by then an activity may have run
  // whose result the kill kept from its commit.
  if (["event.after_store", "dispatch.after_commit", "session.started"].includes(point)) {
    return [0, 1];
  }
  return [0, 0];
}

// A small deterministic PRNG (mulberry32), so a failing seed can be run again.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type World = { home: string; work: string; hook: string };

async function deployOnce(t: { after(fn: () => unknown): void }): Promise<World> {
  const work = sessionDir(mkdtempSync(join(tmpdir(), "pounce-faults-")));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const manifest = writeProject(t, {
    "autokitteh.yaml": [
      "version: v1",
      "project:",
      "  name: faults",
      "  vars:",
      "    - name: WORK_DIR",
      `      value: ${work}`,
      "  triggers:",
      "    - name: hook",
      "      webhook: {}",
      "      call: main.py:on_hook",
      "    - name: poke",
      "      webhook: {}",
      "",
    ].join("\n"),
    "main.py": HANDLERS,
  });
  const home = tempHome(t);
  const d = new TestDaemon(home);
  await d.start();
  try {
    const res = await d.cli(["deploy", "--manifest", manifest]);
    assert.equal(res.code, 0, res.stderr);
    return { home, work, hook: webhookPath(res.stdout, "hook") };
  } finally {
    await d.stop();
  }
}

async function post(d: TestDaemon, path: string, body: unknown): Promise<string | undefined> {
  try {
    const res = await fetch(d.url + path, { method: "POST", body: JSON.stringify(body) });
    await res.arrayBuffer();
    return res.ok ? res.headers.get("AutoKitteh-Event-ID") ?? undefined : undefined;
  } catch {
    return undefined; // the daemon died under the request
  }
}

function exited(d: TestDaemon): boolean {
  return d.proc!.exitCode !== null || d.proc!.signalCode !== null;
}

async function sessionOf(d: TestDaemon, eventId: string): Promise<string | undefined> {
  const { sessions } = await d.api<{ sessions: { session_id: string }[] }>(
    `/api/sessions?project=faults&event=${eventId}`,
  );
  return sessions[0]?.session_id;
}

// Waits for the event's session to end, or for the daemon to die.
async function settle(d: TestDaemon, eventId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!exited(d) && Date.now() < deadline) {
    try {
      const id = await sessionOf(d, eventId);
      if (id) {
        const { session } = await d.api<{ session: SessionJson }>(`/api/sessions/${id}`);
        if (["completed", "error", "stopped"].includes(session.state)) return;
      }
    } catch { /* dying */ }
    await sleep(50);
  }
}

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
}

function effects(work: string, kase: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of lines(join(work, "effects.txt"))) {
    if (key.startsWith(kase + "/")) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

// After the restart: each accepted webhook's session completed, with its prints once and
// its activities once each but `twice` of them (fewest, most), which ran twice.
async function verify(
  d: TestDaemon,
  w: World,
  kase: string,
  accepted: Map<string, number>,
  twice: [number, number],
): Promise<void> {
  for (const [eventId, n] of accepted) {
    let id: string | undefined;
    for (let i = 0; !id && i < 400; i++) {
      id = await sessionOf(d, eventId);
      if (!id) await sleep(50);
    }
    assert.ok(id, `${kase}: accepted webhook ${n} (${eventId}) has no session`);
    const s = await d.waitSession(id, 60_000);
    assert.equal(s.state, "completed", `${kase}/${n}: ${s.state} ${s.error}`);
    assert.deepEqual(await d.prints(id), [`start ${kase}/${n}`, `end ${kase}/${n}`]);
  }
  const { sessions } = await d.api<{ sessions: { state: string; session_id: string }[] }>(
    "/api/sessions?project=faults&limit=1000",
  );
  for (const s of sessions) {
    if (s.state === "running" || s.state === "created") await d.waitSession(s.session_id, 60_000);
  }
  const counts = effects(w.work, kase);
  const extra = [...counts].filter(([, c]) => c > 1);
  const [fewest, most] = twice;
  assert.ok(
    extra.length >= fewest && extra.length <= most && extra.every(([, c]) => c === 2),
    `${kase}: expected ${fewest}-${most} activities run twice, got ${JSON.stringify(extra)}`,
  );
  for (const n of accepted.values()) {
    assert.ok(counts.has(`${kase}/${n}/a`) && counts.has(`${kase}/${n}/b`), `${kase}/${n} effects`);
  }
}

test("kill -9 at each fault point, over several seeds: nothing lost, nothing run twice", {
  timeout: 600_000,
}, async (t) => {
  const w = await deployOnce(t);
  const random = prng(Number(process.env.FAULT_SEED ?? 8));
  let cases = 0;
  for (let seed = 0; seed < SEEDS; seed++) {
    for (const point of POINTS) {
      const nth = 1 + Math.floor(random() * 3);
      const kase = `c${cases++}`;
      await t.test(`${point}:${nth}`, async () => {
        const faulty = new TestDaemon(w.home, { POUNCE_FAULT: `${point}:${nth}` });
        await faulty.start();
        const accepted = new Map<string, number>();
        let n = 0;
        // Webhooks one at a time, each session to its end, until the fault kills the daemon.
        for (; n < HOOKS + 4 && !exited(faulty); n++) {
          const eventId = await post(faulty, w.hook, { case: kase, n });
          if (eventId) {
            accepted.set(eventId, n);
            await settle(faulty, eventId);
          }
        }
        await faulty.kill();
        assert.match(faulty.stderr, new RegExp(`FAULT ${point.replace(".", "\\.")}:${nth}`));
        const d = new TestDaemon(w.home);
        await d.start();
        try {
          // And a webhook after the restart.
          const eventId = await post(d, w.hook, { case: kase, n });
          assert.ok(eventId, "webhook after the restart");
          accepted.set(eventId, n);
          await verify(d, w, kase, accepted, twiceAt(point));
        } finally {
          await d.kill();
        }
      });
    }
  }
});

// The pids of processes whose command line has all of `parts`.
function pidsWith(...parts: string[]): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (parts.every((p) => cmd.includes(p))) out.push(Number(name));
    } catch { /* gone */ }
  }
  return out;
}

async function arrival(w: World, key: string, count: number): Promise<number> {
  const file = join(w.work, "at-" + key.replace(/\//g, "_"));
  for (let i = 0; i < 1200; i++) {
    const pids = lines(file);
    if (pids.length >= count) return Number(pids[count - 1]);
    await sleep(50);
  }
  throw new Error(`${key} never reached its gate ${count} time(s)`);
}

function go(w: World, key: string): void {
  writeFileSync(join(w.work, "go-" + key.replace(/\//g, "_")), "");
}

test("a runner killed mid-activity and a dead fork server lose nothing", {
  timeout: 180_000,
}, async (t) => {
  const w = await deployOnce(t);
  const d = new TestDaemon(w.home);
  t.after(() => d.kill());
  await d.start(["--runner", "fork"]); // it kills the fork server

  // A runner killed inside an activity: the activity runs again, its effect once.
  const accepted = new Map<string, number>();
  const first = await post(d, w.hook, { case: "runner", n: 0, gate: true });
  assert.ok(first);
  accepted.set(first, 0);
  const pid = await arrival(w, "runner/0/g", 1);
  process.kill(pid, "SIGKILL");
  await arrival(w, "runner/0/g", 2);
  go(w, "runner/0/g");
  await verify(d, w, "runner", accepted, [0, 0]);

  // The fork server killed while a session it forked is mid-activity, and more webhooks:
  // the running session goes on, the next ones get a new server.
  const servers = pidsWith("pounce.runner.forkserver", w.home);
  assert.ok(servers.length >= 1, "a fork server runs");
  const forked = new Map<string, number>();
  const busy = await post(d, w.hook, { case: "fork", n: 0, gate: true });
  assert.ok(busy);
  forked.set(busy, 0);
  await arrival(w, "fork/0/g", 1);
  for (const p of servers) process.kill(p, "SIGKILL");
  for (let n = 1; n <= 3; n++) {
    const eventId = await post(d, w.hook, { case: "fork", n });
    assert.ok(eventId);
    forked.set(eventId, n);
  }
  go(w, "fork/0/g");
  await verify(d, w, "fork", forked, [0, 0]);
  assert.equal(lines(join(w.work, "at-fork_0_g")).length, 1, "the running session was not rerun");
});
