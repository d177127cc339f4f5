// Which daemon runs which session. Several daemons can share one database: a node claims
// a session before running it and renews its claim (a lease) while it does; a node that
// dies stops renewing, and another claims the session once the lease has expired and
// resumes it by replay. The database is the only coordinator. Every claim moves the
// session's lease epoch on: the writes of a run under an earlier claim are refused
// (fence.ts).
import { and, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import { now } from "../util/clock.ts";
import { delay } from "../util/faults.ts";
import type { Db } from "../db/client.ts";
import { sessions } from "../db/schema.ts";
import { groupCommit } from "../db/group-commit.ts";
import { LIVE_STATES, type Session } from "./rows.ts";

// A session this node may take: unowned, its lease expired at `t`, or already its own.
function claimable(nodeId: string, t: number) {
  return or(isNull(sessions.owner), eq(sessions.owner, nodeId), lt(sessions.leaseUntil, t));
}

// A claim's next epoch.
const NEXT_EPOCH = sql`${sessions.leaseEpoch} + 1`;

// Each write fails alone (see db/group-commit.ts).
const ISOLATED = { isolated: true };

export class Leases {
  constructor(private readonly db: Db, readonly nodeId: string, readonly ttlMs: number) {}

  // The session's row when this node now holds its lease.
  async claimRow(sessionId: string): Promise<Session | undefined> {
    const t = now();
    const [row] = await groupCommit(this.db).write((tx) =>
      tx.update(sessions)
        .set({ owner: this.nodeId, leaseUntil: t + this.ttlMs, leaseEpoch: NEXT_EPOCH })
        .where(and(
          eq(sessions.id, sessionId),
          inArray(sessions.state, LIVE_STATES),
          claimable(this.nodeId, t),
        ))
        .returning(), ISOLATED);
    return row;
  }

  // Takes a hibernated session to resume it here: clears its hibernated mark and claims
  // its lease in one write. Its row, for the one node (and the one caller) that took it.
  async claimHibernated(sessionId: string): Promise<Session | undefined> {
    const t = now();
    const [row] = await groupCommit(this.db).write((tx) =>
      tx.update(sessions)
        .set({
          hibernated: false,
          wakeAt: null,
          owner: this.nodeId,
          leaseUntil: t + this.ttlMs,
          leaseEpoch: NEXT_EPOCH,
          updatedAt: t,
        })
        .where(and(
          eq(sessions.id, sessionId),
          eq(sessions.hibernated, true),
          inArray(sessions.state, LIVE_STATES),
          claimable(this.nodeId, t),
        ))
        .returning(), ISOLATED);
    return row;
  }

  // Extends this node's leases; returns the ids it still holds.
  async renew(): Promise<Set<string>> {
    const rows = await groupCommit(this.db).write((tx) =>
      tx.update(sessions)
        .set({ leaseUntil: now() + this.ttlMs })
        .where(and(eq(sessions.owner, this.nodeId), inArray(sessions.state, LIVE_STATES)))
        .returning({ id: sessions.id }), ISOLATED);
    await delay("lease.renewed");
    return new Set(rows.map((r) => r.id));
  }

  // Sessions that need a node: unowned, with an expired lease, or this node's own (left by
  // its previous run); not hibernated, or hibernated past their wake time. Two indexed
  // reads, so that thousands of hibernated sessions are not scanned at every upkeep.
  async orphans(): Promise<string[]> {
    const t = now();
    const [awake, due] = await Promise.all([
      this.db.select({ id: sessions.id }).from(sessions).where(and(
        inArray(sessions.state, LIVE_STATES),
        eq(sessions.hibernated, false),
        claimable(this.nodeId, t),
      )),
      this.db.select({ id: sessions.id }).from(sessions).where(and(
        eq(sessions.hibernated, true),
        lte(sessions.wakeAt, t),
        inArray(sessions.state, LIVE_STATES),
        claimable(this.nodeId, t),
      )),
    ]);
    return [...awake, ...due].map((r) => r.id);
  }
}
