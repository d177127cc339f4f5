// The hot paths of a durable session's journal, in plain SQL (see execOn): an activity's
// writes, and reading the journal back for a replay.
import type { Sealer } from "../projects/at-rest.ts";
import type { Db } from "../db/client.ts";
import { execOn, type Tx } from "../db/tx.ts";
import type { sessionSteps } from "../db/schema.ts";
import type { SecretBox } from "../projects/secrets.ts";

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
