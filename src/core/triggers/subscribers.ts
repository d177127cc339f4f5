// The subscriptions an event may match: those of its destination without a guard, and
// those whose guard (filter-guard.ts) the event meets. Their full filters are evaluated
// by the caller. Read from the database each time (a peer daemon may subscribe too).
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { subscriptions } from "../db/schema.ts";
import type { EventRow } from "../events.ts";
import { eventGuardValue } from "./filter-guard.ts";

export type Candidate = { sessionId: string; filter: string };

export async function candidateSubscriptions(db: Db, e: EventRow): Promise<Candidate[]> {
  const cols = { sessionId: subscriptions.sessionId, filter: subscriptions.filter };
  const reads = [
    db.select(cols).from(subscriptions).where(
      and(eq(subscriptions.destinationId, e.destinationId), isNull(subscriptions.guardPath)),
    ),
  ];
  for (const path of await guardPaths(db, e.destinationId)) {
    const value = eventGuardValue(path, e);
    if (value === undefined) continue;
    reads.push(
      db.select(cols).from(subscriptions).where(and(
        eq(subscriptions.destinationId, e.destinationId),
        eq(subscriptions.guardPath, path),
        eq(subscriptions.guardValue, value),
      )),
    );
  }
  return (await Promise.all(reads)).flat();
}

// The distinct guard paths of a destination, one index seek each (a destination has
// few, however many subscriptions share them).
async function guardPaths(db: Db, destinationId: string): Promise<string[]> {
  const rows = await db.all<{ path: string | null }>(sql`
    SELECT path FROM (WITH RECURSIVE p(path) AS (
      SELECT (SELECT min(guard_path) FROM subscriptions
              WHERE destination_id = ${destinationId} AND guard_path IS NOT NULL)
      UNION ALL
      SELECT (SELECT min(guard_path) FROM subscriptions
              WHERE destination_id = ${destinationId} AND guard_path > p.path)
      FROM p WHERE p.path IS NOT NULL
    ) SELECT path FROM p) AS paths WHERE path IS NOT NULL`);
  return rows.map((r) => r.path!);
}
