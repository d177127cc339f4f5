// Fenced journal commits: a run's writes (its journal steps, log records, state and end)
// commit only while the session's lease epoch is still the one its node claimed
// (sessions.lease_epoch, one more at every claim: leases.ts). A node paused past its lease
// whose session another node took cannot write a step of it any more.
import type { Fence } from "../db/group-commit.ts";
import { execOn, type Tx } from "../db/tx.ts";

// A write refused because another node took the session over: the run that made it is
// left to that node.
export class LeaseLost extends Error {
  constructor(readonly sessionId: string, readonly epoch: number) {
    super(
      `session ${sessionId}: this node's lease (epoch ${epoch}) was taken over by another ` +
        "node; its write was not committed and the session is left to that node",
    );
  }
}

// The fence of a session's run, for the lease epoch its node claimed: one read of the
// session's row by primary key, in the write's transaction. It holds until the commit
// because write transactions take turns: on SQLite (a libSQL file or server) the database's
// write lock is held from BEGIN IMMEDIATE to COMMIT, and on PostgreSQL every write
// transaction first takes one advisory lock (postgres.ts), so no claim commits in between.
export function sessionFence(s: { id: string; leaseEpoch: number }): Fence {
  const { id, leaseEpoch } = s;
  return {
    key: sessionFenceKey(s),
    async holds(tx: Tx) {
      const { rows } = await execOn(tx)(FENCE_CHECK, [id, leaseEpoch]);
      return rows.length === 1;
    },
    lost: () => new LeaseLost(id, leaseEpoch),
  };
}

// A new session's row (leased at epoch 0 unless given) makes its fence hold.
export function sessionFenceKey(s: { id?: string; leaseEpoch?: number }): string {
  return `${s.id}\0${s.leaseEpoch ?? 0}`;
}

const FENCE_CHECK = "SELECT id FROM sessions WHERE id = ? AND lease_epoch = ? LIMIT 1";
