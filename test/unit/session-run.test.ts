// SessionRun against core's runner port with a scripted runner (no Python): the frames it
// sends, what it journals and logs in a real libSQL file, and how the run ends.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { closeDb, openDb } from "../../src/core/db/client.ts";
import { CLEAR } from "../../src/core/projects/at-rest.ts";
import { SecretBox } from "../../src/core/projects/secrets.ts";
import type { JournalStep } from "../../src/core/sessions/journal.ts";
import { LogBus } from "../../src/core/sessions/log-bus.ts";
import { SessionLog, Sessions } from "../../src/core/sessions/rows.ts";
import { SessionRun } from "../../src/core/sessions/run.ts";
import type { Runner, RunnerExit } from "../../src/core/sessions/runner-port.ts";
import { Wakeups } from "../../src/core/sessions/wakeups.ts";
import type { DaemonFrame, RunnerFrame } from "../../src/protocol/frames.gen.ts";

type Received = { header: RunnerFrame; blob?: Uint8Array };

// A runner that answers the daemon's frames with `script`: called with each frame the
// daemon sends, it returns the frames the runner sends back.
class ScriptedRunner implements Runner {
  readonly id = "run_fake";
  readonly sent: DaemonFrame[] = [];
  readonly sentBlobs: (Uint8Array | Uint8Array[] | undefined)[] = [];
  killed = false;
  // Whether the runner was killed before it exited by itself.
  killedAlive = false;
  private handler?: (frame: Received) => void;
  private exit!: (e: RunnerExit) => void;
  private gone = false;
  readonly exited = new Promise<RunnerExit>((resolve) =>
    this.exit = (e) => {
      this.gone = true;
      resolve(e);
    }
  );

  constructor(private readonly script: (frame: DaemonFrame) => Received[]) {}

  readonly socket = {
    send: (frame: DaemonFrame, blob?: Uint8Array | Uint8Array[]) => {
      this.sent.push(frame);
      this.sentBlobs.push(blob);
      // The runner answers after the daemon's send returns, as over a socket.
      const replies = this.script(frame);
      setImmediate(() => {
        for (const reply of replies) {
          this.handler?.(reply);
          // A runner exits by itself once it has sent `done`.
          if (reply.header.t === "done") this.exit({ code: 0, signal: null, stderr: "" });
        }
      });
    },
    onFrame: (handler: (frame: Received) => void) => {
      this.handler = handler;
    },
    onClose: () => {},
  };

  kill(): void {
    if (!this.gone) this.killedAlive = true;
    this.killed = true;
    this.exit({ code: null, signal: "SIGKILL", stderr: "" });
  }
}

async function fixture(t: { after(fn: () => unknown): void }, durable: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "pounce-run-"));
  const file = join(dir, "t.db");
  const db = await openDb({ url: `file:${file}` });
  t.after(async () => {
    await closeDb(db, file);
    rmSync(dir, { recursive: true, force: true });
  });
  const bus = new LogBus();
  const box = new SecretBox(randomBytes(32));
  const sessions = new Sessions(db, bus, box);
  const at = Date.now();
  // The session's project (a session's row refers to it).
  await db.$client.batch([
    "INSERT INTO projects (id, name, created_at, updated_at) VALUES ('prj_test', 'test', 0, 0)",
  ], "write");
  await sessions.add({
    id: "ses_test",
    projectId: "prj_test",
    buildId: "bld_test",
    entrypoint: "program.py:on_event",
    inputs: {},
    memo: {},
    isDurable: durable,
    state: "running",
    createdAt: at,
    updatedAt: at,
  });
  const session = (await sessions.get("ses_test"))!;
  const log = new SessionLog(db, bus, session, 0);
  const deps = {
    db,
    box,
    wakeups: new Wakeups(),
    startSession: () => {},
    limits: { storeValueBytes: 1 << 20, storeKeys: 1000 },
  };
  const run = (runner: Runner, journal: JournalStep[] = []) =>
    new SessionRun(db, session, log, runner, journal, deps, CLEAR);
  return { db, sessions, run };
}

const pickle = Buffer.from([0x80, 0x05, 0x4b, 0x2a, 0x2e]); // pickle.dumps(42)

test("start, print, an activity's call and result, done", async (t) => {
  const { db, sessions, run } = await fixture(t, true);
  const runner = new ScriptedRunner((frame) => {
    if (frame.t === "start") {
      return [
        { header: { t: "print", text: "hello" } },
        { header: { t: "call", seq: 1, name: "fetch", args: ["1"], kwargs: { n: "2" } } },
        { header: { t: "print", text: "inside", seq: 1 } },
        {
          header: { t: "result", id: 1, seq: 1, name: "fetch", error: false, display: "42" },
          blob: pickle,
        },
      ];
    }
    if (frame.t === "ok" && frame.id === 1) {
      return [{ header: { t: "done", display: "'ok'" }, blob: pickle }];
    }
    return [];
  });
  const event = { data: { x: 1 }, event_type: "webhook", event_id: "evt_1" };
  const outcome = await run(runner).start(event);

  assert.deepEqual(outcome, {
    kind: "done",
    error: undefined,
    display: "'ok'",
    value: pickle,
    json: undefined,
  });
  assert.deepEqual(runner.sent, [
    {
      t: "start",
      protocol: 2,
      session_id: "ses_test",
      entrypoint: "program.py:on_event",
      durable: true,
      event,
      printed: 0,
    },
    { t: "ok", id: 1 },
  ]);
  // Once the runner has exited: what it started goes with it.
  await runner.exited;
  assert.ok(runner.killed, "the run kills its runner's group when it ends");
  assert.ok(!runner.killedAlive, "a runner that sent done is left to exit by itself");

  const { rows } = await db.$client.execute(
    "SELECT seq, kind, name, args, result, error, display FROM session_steps",
  );
  assert.equal(rows.length, 1);
  const step = rows[0];
  assert.deepEqual([step.seq, step.kind, step.name, step.error, step.display], [
    1,
    "activity",
    "fetch",
    0,
    "42",
  ]);
  assert.deepEqual(JSON.parse(String(step.args)), { args: ["1"], kwargs: { n: "2" } });
  assert.deepEqual(Buffer.from(step.result as ArrayBuffer), pickle);

  const logs = await sessions.logs("ses_test");
  assert.deepEqual(logs.map((r) => [r.type, r.data]), [
    ["print", { text: "hello" }],
    ["call_spec", { function: "fetch", args: ["1"], kwargs: { n: "2" }, seq: 1 }],
    ["call_attempt_start", { seq: 1, attempt: 1 }],
    ["print", { text: "inside", call_seq: 1 }],
    ["call_attempt_complete", { seq: 1, is_last: true, error: false, result: "42" }],
  ]);
});

test("a replay sends the journal before start; an unknown frame is answered with fail", async (t) => {
  const { run } = await fixture(t, true);
  const runner = new ScriptedRunner((frame) => {
    if (frame.t !== "start") return [];
    return [
      { header: { t: "bogus", id: 7 } as unknown as RunnerFrame },
      { header: { t: "done", error: "boom", traceback: [] } },
    ];
  });
  const journal: JournalStep[] = [
    {
      seq: 1,
      kind: "activity",
      name: "fetch",
      deadline: null,
      result: pickle,
      error: false,
      completedAt: 1,
    },
    {
      seq: 2,
      kind: "sleep",
      name: "sleep",
      deadline: 5000,
      result: null,
      error: false,
      completedAt: null,
    },
  ];
  const outcome = await run(runner, journal).start(
    { data: {}, event_type: null, event_id: null },
    3,
  );
  assert.equal(outcome.kind, "done");
  assert.equal(outcome.kind === "done" && outcome.error, "boom");
  assert.deepEqual(runner.sent[0], {
    t: "journal",
    steps: [
      { seq: 1, kind: "activity", name: "fetch", size: pickle.length },
      { seq: 2, kind: "sleep", name: "sleep", done: false, deadline_ms: 5000 },
    ],
  });
  assert.deepEqual(runner.sentBlobs[0], [pickle]);
  assert.equal(runner.sent[1].t, "start");
  assert.equal(runner.sent[1].t === "start" && runner.sent[1].printed, 3);
  assert.deepEqual(runner.sent[2], { t: "fail", id: 7, error: 'unknown message type "bogus"' });
});
