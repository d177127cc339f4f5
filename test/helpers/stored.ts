// What a test daemon's database holds, on either backend: the libSQL files in its data dir,
// or (with POUNCE_TEST_DB) its own PostgreSQL database (pg.ts). Tests of what is kept at
// rest ("no secret in clear") and tests that read the journal use these, so that they hold
// on both; tests about the libSQL file itself skip on PostgreSQL (LIBSQL_FILE_ONLY).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import type pg from "pg";
import type { TestDaemon } from "./daemon.ts";
import { dropDatabase, freshDatabase, TEST_DB } from "./pg.ts";

// node:test's `skip` for a test about the libSQL file (its bytes, WAL, pragmas, backup).
export const LIBSQL_FILE_ONLY: string | false = TEST_DB
  ? "about the embedded libSQL file; POUNCE_TEST_DB runs the daemons on PostgreSQL"
  : false;

// One place the database is kept, and all of its bytes.
export type Stored = { where: string; bytes: Buffer };

// libSQL: pounce.db and its WAL as they are on disk. PostgreSQL: every row of every table
// (any schema but the system's), each column as PostgreSQL renders it as text, bytea
// columns as their raw bytes (so a secret in a blob is found as it would be in the file).
export async function storedBytes(d: TestDaemon): Promise<Stored[]> {
  if (!d.dbUrl) {
    const db = join(d.home, "pounce.db");
    return [db, `${db}-wal`].filter((f) => existsSync(f))
      .map((f) => ({ where: f, bytes: readFileSync(f) }));
  }
  const client = await connect(d.dbUrl, true);
  try {
    const { rows: tables } = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1, 2`,
    );
    const out: Stored[] = [];
    for (const { schema, name } of tables) {
      const { rows } = await client.query<Record<string, string | Buffer | null>>(
        `SELECT * FROM ${ident(schema)}.${ident(name)}`,
      );
      const parts: Buffer[] = [];
      for (const row of rows) {
        for (const value of Object.values(row)) {
          if (value === null) continue;
          parts.push(
            Buffer.isBuffer(value) ? value : Buffer.from(value, "utf8"),
            Buffer.from("\t"),
          );
        }
        parts.push(Buffer.from("\n"));
      }
      out.push({ where: `${d.dbUrl} table ${schema}.${name}`, bytes: Buffer.concat(parts) });
    }
    return out;
  } finally {
    await client.end();
  }
}

// Rows of `sql` (SQLite's `?` placeholders) on the daemon's database, as a second reader.
export function dbQuery(
  d: TestDaemon,
  sql: string,
  args: (string | number)[] = [],
): Promise<Record<string, unknown>[]> {
  return queryDb(d.dbUrl ?? `file:${join(d.home, "pounce.db")}`, sql, args);
}

// Rows of `sql` on the database at `url` (file: or postgres:). Values as the libSQL client
// gives them; on PostgreSQL integers come back as numbers too.
export async function queryDb(
  url: string,
  sql: string,
  args: (string | number)[] = [],
): Promise<Record<string, unknown>[]> {
  if (!isPostgresUrl(url)) {
    const rows = (await fileReader(url).execute({ sql, args })).rows;
    return rows as unknown as Record<string, unknown>[];
  }
  const client = await connect(url, false);
  try {
    let n = 0;
    return (await client.query(sql.replace(/\?/g, () => `$${++n}`), args)).rows;
  } finally {
    await client.end();
  }
}

// One reader per file, kept open until the test process ends. A closed libSQL connection
// lingers until its statements are garbage-collected, and its real close, when no daemon
// holds the file any more (one killed with -9), checkpoints the WAL and deletes it: a test
// about what a crash left in the WAL would then find none.
const fileReaders = new Map<string, Client>();
function fileReader(url: string): Client {
  let reader = fileReaders.get(url);
  if (!reader) fileReaders.set(url, reader = createClient({ url }));
  return reader;
}

// A database for several daemons of one test: with POUNCE_TEST_DB a fresh PostgreSQL one
// (dropped when the test ends: add this after the hook that stops the daemons), else a
// libSQL file in `dir`.
export async function sharedDatabase(
  t: { after(fn: () => unknown): void },
  dir: string,
): Promise<string> {
  if (!TEST_DB) return `file:${join(dir, "shared.db")}`;
  const url = await freshDatabase();
  t.after(() => dropDatabase(url));
  return url;
}

const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

// A client of its own (not the daemon's pool); `raw`: every value as PostgreSQL's text
// but bytea, as bytes. Else integers as numbers, JSON as its text (as the daemon reads).
async function connect(url: string, raw: boolean): Promise<InstanceType<typeof pg.Client>> {
  const { default: pgm } = await import("pg");
  const { builtins } = pgm.types;
  const asNumber = new Set<number>([builtins.INT8, builtins.INT4, builtins.INT2, builtins.NUMERIC]);
  const asText = new Set<number>([builtins.JSON, builtins.JSONB]);
  const client = new pgm.Client({
    connectionString: url,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") => {
        if (oid === builtins.BYTEA) return pgm.types.getTypeParser(oid, format);
        if (raw || asText.has(oid)) return (v: string) => v;
        if (asNumber.has(oid)) return Number;
        return pgm.types.getTypeParser(oid, format);
      }) as typeof pgm.types.getTypeParser,
    },
  });
  await client.connect();
  return client;
}
