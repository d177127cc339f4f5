// What differs between the two databases a Db can be: an embedded libSQL file (or libSQL
// server), and PostgreSQL (postgres.ts).
//
// The tables are schema.ts's (SQLite's) on both: drizzle's PostgreSQL dialect builds its
// statements from any table's names and columns, and each column converts its values as
// on SQLite (booleans go as 1/0, which PostgreSQL's boolean takes; JSON as text; integers
// come back as numbers: postgres.ts). So the queries and their types are one, and the
// few places with plain SQL write it so that both understand it (`?` placeholders are
// numbered here; TRUE/FALSE, not 1/0, for booleans), or ask this module.
import type { Db } from "./client.ts";
import type { PgChannels } from "./pg-notify.ts";

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

const postgres = new WeakSet<object>();

export function markPostgres(db: object): void {
  postgres.add(db);
}

export function isPostgres(db: Db): boolean {
  return postgres.has(db);
}

// The notifications between the nodes of a PostgreSQL database (undefined on SQLite).
export function channelsOf(db: Db): PgChannels | undefined {
  return (db as unknown as { $channels?: PgChannels }).$channels;
}

// The text under `key` of a JSON column (`column` as written in the SQL).
export function jsonText(db: Db, column: string, key: string): string {
  return isPostgres(db) ? `(${column} ->> '${key}')` : `json_extract(${column}, '$.${key}')`;
}

// LIKE as SQLite has it: case-insensitive (for ASCII).
export function likeOperator(db: Db): string {
  return isPostgres(db) ? "ILIKE" : "LIKE";
}

// SQLite's `?` placeholders as PostgreSQL's `$1, $2…` (not inside quoted strings or names).
const numbered = new Map<string, string>();
const MAX_KEPT = 1000;

export function numberedParams(sql: string): string {
  let out = numbered.get(sql);
  if (out !== undefined) return out;
  let n = 0;
  out = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (m) => (m === "?" ? `$${++n}` : m));
  if (numbered.size >= MAX_KEPT) numbered.clear();
  numbered.set(sql, out);
  return out;
}
