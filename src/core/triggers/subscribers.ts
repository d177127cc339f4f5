// The subscriptions an event may match: those of its destination without a guard, and
// those whose guard (filter-guard.ts) the event meets. Their full filters are evaluated
// by the caller. Read from the database for each event, but for a destination found with
// no subscriptions at all (the common case: a trigger no session subscribed to), which is
// remembered until a subscription may have been added (see NoSubscriptions).
// Plain SQL (`?` placeholders, dialect.ts): it runs for every event.
import type { Db } from "../db/client.ts";
import { perHandle } from "../db/per-handle.ts";
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

// Destinations found without subscriptions, valid while the embedded database's data
// version (it changes when another connection commits: a peer daemon's subscribe) and this
// process's count of subscription inserts stay the same, and none is in flight (its row
// may be committed already). A subscription committed after an event's commit has its
// cursor past that event, so it never needed to see it. A remote database has no data
// version: nothing is kept.
class NoSubscriptions {
  private version?: string;
  private readonly empty = new Set<string>();
  private inserts = 0;
  private inFlight = 0;
  private readonly dataVersion: () => number | undefined;

  constructor(db: Db) {
    const client = db.$client as unknown as { dataVersion?: () => number | undefined };
    this.dataVersion = () => client.dataVersion?.();
  }

  // Undefined while nothing can be kept.
  private current(): string | undefined {
    if (this.inFlight) return undefined;
    const data = this.dataVersion();
    return data === undefined ? undefined : `${data}:${this.inserts}`;
  }

  // Whether `destination` is known to have no subscriptions now.
  known(destination: string): boolean {
    const v = this.current();
    if (v === undefined || v !== this.version) return false;
    return this.empty.has(destination);
  }

  // `destination` had none in a read that began at version `v`.
  found(destination: string, v: string | undefined): void {
    if (v === undefined || this.current() !== v) return;
    if (this.version !== v) {
      this.empty.clear();
      this.version = v;
    }
    if (this.empty.size >= 10_000) this.empty.clear();
    this.empty.add(destination);
  }

  versionNow(): string | undefined {
    return this.current();
  }

  async inserting<T>(write: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await write();
    } finally {
      this.inFlight--;
      this.inserts++;
    }
  }
}

const noSubscriptions = perHandle((db) => new NoSubscriptions(db));

// Runs a write that may insert subscriptions (subscribe): events dispatched meanwhile and
// after it read them from the database.
export function insertingSubscriptions<T>(db: Db, write: () => Promise<T>): Promise<T> {
  return noSubscriptions(db).inserting(write);
}

export async function candidateSubscriptions(db: Db, e: EventRow): Promise<Candidate[]> {
  const id = e.destinationId;
  const none = noSubscriptions(db);
  if (none.known(id)) return [];
  const version = none.versionNow();
  const { rows } = await db.$client.execute({ sql: UNGUARDED_AND_PATHS, args: [id, id, id] });
  if (!rows.length) {
    none.found(id, version);
    return [];
  }
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
