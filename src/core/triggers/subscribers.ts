// The subscriptions an event may match: those of its destination without a guard, and
// those whose guard (filter-guard.ts) the event meets. Their full filters are evaluated
// by the caller. Read from the database for each event, but for a destination found with
// no subscriptions at all, which is remembered (noSubscriptions).
// Plain SQL (`?` placeholders, dialect.ts): it runs for every event.
import type { Db } from "../db/client.ts";
import { perHandle } from "../db/per-handle.ts";
import { VersionedCache } from "../db/versioned-cache.ts";
import type { EventRow } from "../events.ts";
import { eventGuardValue } from "./event-guard.ts";

export type Candidate = { sessionId: string; filter: string };

// In one statement: the unguarded subscriptions of a destination (path NULL), then its
// distinct guard paths (session_id NULL), one index seek each (a destination has few,
// however many subscriptions share them).
const UNGUARDED_AND_PATHS = `
  SELECT session_id, filter, NULL AS path FROM subscriptions
  WHERE destination_id = ? AND guard_path IS NULL
  UNION ALL
  SELECT NULL, NULL, path FROM (WITH RECURSIVE p(path) AS (
      SELECT (SELECT min(guard_path) FROM subscriptions
              WHERE destination_id = ? AND guard_path IS NOT NULL)
      UNION ALL
      SELECT (SELECT min(guard_path) FROM subscriptions
              WHERE destination_id = ? AND guard_path > p.path)
      FROM p WHERE p.path IS NOT NULL
    ) SELECT path FROM p) AS paths WHERE path IS NOT NULL`;

const GUARDED = `SELECT session_id, filter FROM subscriptions
  WHERE destination_id = ? AND guard_path = ? AND guard_value = ?`;

// Destinations found without subscriptions (the common case: a trigger no session
// subscribed to), remembered while the database says nothing changed and no `subscribe`
// of this process is going on (db/versioned-cache.ts). A subscription committed after an
// event's commit has its cursor past that event, so it never needed to see it.
const noSubscriptions = perHandle((db) => new VersionedCache(db, "any"));

// Runs a write that may insert subscriptions (subscribe): events dispatched meanwhile and
// after it read them from the database.
export function insertingSubscriptions<T>(db: Db, write: () => Promise<T>): Promise<T> {
  return noSubscriptions(db).writing(write);
}

export async function candidateSubscriptions(db: Db, e: EventRow): Promise<Candidate[]> {
  const id = e.destinationId;
  const rows = await noSubscriptions(db).get(
    id,
    async () => (await db.$client.execute({ sql: UNGUARDED_AND_PATHS, args: [id, id, id] })).rows,
    (rows) => !rows.length,
  );
  const out: Candidate[] = [];
  const paths: string[] = [];
  for (const r of rows) {
    if (r.path !== null) paths.push(String(r.path));
    else out.push({ sessionId: String(r.session_id), filter: String(r.filter) });
  }
  const reads = [];
  for (const path of paths) {
    const value = eventGuardValue(path, e);
    if (value === undefined) continue;
    reads.push(db.$client.execute({ sql: GUARDED, args: [id, path, value] }));
  }
  for (const { rows } of await Promise.all(reads)) {
    for (const r of rows) out.push({ sessionId: String(r.session_id), filter: String(r.filter) });
  }
  return out;
}
