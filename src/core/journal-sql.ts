// An activity's two journal writes, the hot path of a durable session, in plain SQL (see
// execOn): its start (an upsert: a replay may run an unfinished activity again) and its
// result.
import type { Tx } from "./db/group-commit.ts";
import { execOn } from "./db/group-commit.ts";

export type ActivityStart = {
  sessionId: string;
  seq: number;
  name: string;
  args: unknown;
  startedAt: number;
};

export async function startActivity(tx: Tx, s: ActivityStart): Promise<void> {
  await execOn(tx)(
    `INSERT INTO session_steps (session_id, seq, kind, name, args, started_at)
     VALUES (?, ?, 'activity', ?, ?, ?)
     ON CONFLICT (session_id, seq) DO UPDATE SET kind = excluded.kind, name = excluded.name,
       args = excluded.args, started_at = excluded.started_at, result = NULL, completed_at = NULL`,
    [s.sessionId, s.seq, s.name, JSON.stringify(s.args), s.startedAt],
  );
}

export type ActivityResult = {
  sessionId: string;
  seq: number;
  // The pickle of (ok, value), as the runner sent it.
  result: Uint8Array | null;
  error: boolean;
  display: string;
  completedAt: number;
};

export async function finishActivity(tx: Tx, r: ActivityResult): Promise<void> {
  await execOn(tx)(
    `UPDATE session_steps SET result = ?, error = ?, display = ?, completed_at = ?
     WHERE session_id = ? AND seq = ?`,
    [r.result, r.error ? 1 : 0, r.display, r.completedAt, r.sessionId, r.seq],
  );
}
