// A durable session's journal (session_steps), its one owner: steps recorded (an
// activity, a syscall's result or failure), pending (a sleep, a waiting call) and
// completed, read back, and handed to the runner in replay frames. Steps' results and
// arguments are sealed with the session's sealer (at-rest.ts). The hot paths are plain
// SQL (see execOn). Deleting a session's steps is left to the session's own deletion.
import type { RecordedStep } from "../../protocol/frames.gen.ts";
import { and, desc, eq } from "drizzle-orm";
import type { Sealer } from "../projects/at-rest.ts";
import type { Db } from "../db/client.ts";
import { execOn, type Tx } from "../db/tx.ts";
import { sessionSteps } from "../db/schema.ts";
import type { SecretBox } from "../projects/secrets.ts";
import { now } from "../util/clock.ts";

export type Step = typeof sessionSteps.$inferSelect;

// What a replay needs of a step (session_steps, without the displayed arguments).
export type JournalStep = Pick<
  typeof sessionSteps.$inferSelect,
  "seq" | "kind" | "name" | "deadline" | "result" | "error" | "completedAt"
>;

// A session's recorded steps, in order, results opened (at-rest.ts). Plain SQL: drizzle's
// row mapping (and parsing the `args` JSON nobody reads here) costs more than the query
// for a long journal.
export async function readJournal(
  db: Db,
  box: SecretBox,
  sessionId: string,
): Promise<JournalStep[]> {
  const { rows } = await db.$client.execute({
    sql: `SELECT seq, kind, name, deadline, result, error, completed_at FROM session_steps
          WHERE session_id = ? ORDER BY seq`,
    args: [sessionId],
  });
  return rows.map((r) => ({
    seq: Number(r.seq),
    kind: String(r.kind),
    name: String(r.name),
    deadline: r.deadline === null ? null : Number(r.deadline),
    result: openResult(box, r.result),
    error: Number(r.error) === 1,
    completedAt: r.completed_at === null ? null : Number(r.completed_at),
  }));
}

function openResult(box: SecretBox, v: unknown): Buffer | null {
  const bytes = toBytes(v);
  return bytes && box.openBytes(bytes);
}

// Blobs come as Buffers from the embedded driver, as ArrayBuffers from a server.
function toBytes(v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  return Buffer.from(String(v), "utf8");
}

// A finished activity, written once: its start and its result in one upsert (a replay may
// run again an activity whose result never committed).
export type ActivityStep = {
  sessionId: string;
  seq: number;
  name: string;
  args: unknown;
  startedAt: number;
  // The pickle of (ok, value), as the runner sent it.
  result: Uint8Array | null;
  error: boolean;
  display: string;
  completedAt: number;
};

// `seal`: the session's sealer (at-rest.ts) for the arguments, result and display.
export async function recordActivity(tx: Tx, s: ActivityStep, seal: Sealer): Promise<void> {
  await execOn(tx)(
    `INSERT INTO session_steps (session_id, seq, kind, name, args, started_at, result, error,
       display, completed_at)
     VALUES (?, ?, 'activity', ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (session_id, seq) DO UPDATE SET kind = excluded.kind, name = excluded.name,
       args = excluded.args, started_at = excluded.started_at, result = excluded.result,
       error = excluded.error, display = excluded.display, completed_at = excluded.completed_at`,
    [
      s.sessionId,
      s.seq,
      s.name,
      seal.text(JSON.stringify(s.args)),
      s.startedAt,
      s.result && seal.bytes(s.result),
      s.error ? 1 : 0,
      seal.text(s.display),
      s.completedAt,
    ],
  );
}

// A syscall's result (JSON), sealed as the session's journal is.
function encodeCall(seal: Sealer, value: unknown): Uint8Array {
  return seal.bytes(Buffer.from(JSON.stringify(value ?? null), "utf8"));
}

// A durable syscall's step: `op` and its result, in plain SQL (it runs for every
// durable call). Replaces the pending step a waiting call recorded.
export function recordCall(
  tx: Tx,
  sessionId: string,
  seq: number,
  op: string,
  value: unknown,
  seal: Sealer,
): Promise<unknown> {
  const t = now();
  return execOn(tx)(
    `INSERT INTO session_steps (session_id, seq, kind, name, result, started_at, completed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (session_id, seq) DO UPDATE SET kind = excluded.kind, name = excluded.name,
       result = excluded.result, completed_at = excluded.completed_at`,
    [sessionId, seq, op, op, encodeCall(seal, value), t, t],
  );
}

// A durable syscall that failed with `message`: a replay raises the same error.
export function recordCallFailure(
  tx: Tx,
  sessionId: string,
  seq: number,
  op: string,
  message: string,
  seal: Sealer,
): Promise<unknown> {
  const t = now();
  const result = Buffer.from(encodeCall(seal, message));
  return tx.insert(sessionSteps).values({
    sessionId,
    seq,
    kind: op,
    name: op,
    result,
    error: true,
    startedAt: t,
    completedAt: t,
  }).onConflictDoUpdate({
    target: [sessionSteps.sessionId, sessionSteps.seq],
    set: { kind: op, name: op, result, error: true, completedAt: t },
  });
}

// The deadline of a call's step recorded pending (and not completed) by an earlier run,
// undefined when there is none.
// The session's newest step when it has not completed: what a hibernated session waits in.
export async function pendingStep(
  db: Db,
  sessionId: string,
): Promise<{ kind: string; deadline: number | null } | undefined> {
  const [last] = await db.select({
    kind: sessionSteps.kind,
    deadline: sessionSteps.deadline,
    completedAt: sessionSteps.completedAt,
  }).from(sessionSteps).where(eq(sessionSteps.sessionId, sessionId))
    .orderBy(desc(sessionSteps.seq)).limit(1);
  return last && last.completedAt === null ? last : undefined;
}

export async function pendingDeadline(
  db: Db,
  sessionId: string,
  seq: number,
): Promise<{ deadline: number | null } | undefined> {
  const existing = await db.query.sessionSteps.findFirst({
    where: and(eq(sessionSteps.sessionId, sessionId), eq(sessionSteps.seq, seq)),
  });
  return existing && existing.completedAt === null ? { deadline: existing.deadline } : undefined;
}

// A call that waits until `deadline` (null: none), recorded pending; its result replaces
// it (recordCall).
export async function recordPendingCall(
  tx: Tx,
  sessionId: string,
  seq: number,
  op: string,
  deadline: number | null,
): Promise<void> {
  await tx.insert(sessionSteps).values({
    sessionId,
    seq,
    kind: op,
    name: op,
    deadline,
    startedAt: now(),
  }).onConflictDoUpdate({
    target: [sessionSteps.sessionId, sessionSteps.seq],
    set: { kind: op, name: op, deadline, result: null, completedAt: null },
  });
}

// A sleep until `deadline`: the step a replay reads, and what recordSleep writes.
export type SleepStep = JournalStep & { sessionId: string; startedAt: number };

export function sleepStep(sessionId: string, seq: number, deadline: number): SleepStep {
  return {
    sessionId,
    seq,
    kind: "sleep",
    name: "sleep",
    deadline,
    startedAt: now(),
    result: null,
    error: false,
    completedAt: null,
  };
}

// A sleep, recorded pending (kept as it was if a run recorded it already).
export function recordSleep(tx: Tx, s: SleepStep) {
  const { sessionId, seq, kind, name, deadline, startedAt } = s;
  return tx.insert(sessionSteps).values({ sessionId, seq, kind, name, deadline, startedAt })
    .onConflictDoNothing();
}

// A retry's first write: the session's last step, when it is an activity that raised, is
// forgotten, so that the replay runs it again. Undefined (nothing dropped) otherwise.
export async function dropFailedActivity(
  tx: Tx,
  sessionId: string,
): Promise<{ seq: number; name: string } | undefined> {
  const [last] = await tx.select({
    seq: sessionSteps.seq,
    kind: sessionSteps.kind,
    name: sessionSteps.name,
    error: sessionSteps.error,
  }).from(sessionSteps).where(eq(sessionSteps.sessionId, sessionId))
    .orderBy(desc(sessionSteps.seq)).limit(1);
  if (!last || last.kind !== "activity" || !last.error) return undefined;
  await tx.delete(sessionSteps)
    .where(and(eq(sessionSteps.sessionId, sessionId), eq(sessionSteps.seq, last.seq)));
  return { seq: last.seq, name: last.name };
}

// A pending step (a sleep) is over.
export function completeStep(tx: Tx, sessionId: string, seq: number) {
  return tx.update(sessionSteps).set({ completedAt: now() })
    .where(and(eq(sessionSteps.sessionId, sessionId), eq(sessionSteps.seq, seq)));
}

// A journal frame holds steps up to about this many bytes (a frame is at most 16 MiB, one
// recorded value at most 1 MiB).
const JOURNAL_FRAME_BYTES = 4 << 20;

// A replay's `journal` frames (docs/protocol.md, "Replay"): each frame's steps, and the
// blobs (activities' and sleeps' results) that follow its header.
export function replayFrames(
  journal: JournalStep[],
): { steps: RecordedStep[]; blobs: Uint8Array[] }[] {
  const frames: { steps: RecordedStep[]; blobs: Uint8Array[] }[] = [];
  let steps: RecordedStep[] = [];
  let blobs: Uint8Array[] = [];
  let bytes = 0;
  const send = () => {
    if (!steps.length) return;
    frames.push({ steps, blobs });
    steps = [];
    blobs = [];
    bytes = 0;
  };
  for (const step of journal) {
    const done = step.completedAt !== null;
    // An activity that started but never committed runs again (at-least-once).
    if (step.kind === "activity" && !done) break;
    const isCall = step.kind !== "activity" && step.kind !== "sleep";
    const blob = !isCall && step.result ? step.result : undefined;
    const size = (step.result?.length ?? 0) + 200;
    if (bytes + size > JOURNAL_FRAME_BYTES) send();
    // Fields at their default are left out (a long journal is a large header).
    const entry: RecordedStep = { seq: step.seq, kind: step.kind, name: step.name };
    if (blob) entry.size = blob.length;
    if (step.error) entry.error = true;
    if (!done) entry.done = false;
    if (step.deadline !== null) entry.deadline_ms = step.deadline;
    // A call's result is its JSON (recordCall), opened already (readJournal).
    if (isCall && done) entry.value = JSON.parse(step.result!.toString("utf8"));
    steps.push(entry);
    if (blob) blobs.push(blob);
    bytes += size;
  }
  send();
  return frames;
}
