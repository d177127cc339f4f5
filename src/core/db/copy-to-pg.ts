// `pounce migrate`: copies a single-node (libSQL file) database to PostgreSQL, every table
// of schema.ts, so a user who outgrows one machine keeps all history. Rows are copied as
// stored (JSON as its text, blobs as bytes, sealed secrets still sealed: the same secret key
// opens them), table by table in foreign-key order, in one PostgreSQL transaction holding
// the nodes' write lock: the target gets all of it or nothing. Identity sequences then
// continue after the copied keys (or after SQLite's AUTOINCREMENT counters, if higher).
import { is } from "drizzle-orm";
import { getTableConfig, type SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Client } from "@libsql/client";
import type pg from "pg";
import * as schema from "./schema.ts";
import { closeDb, type Db, openDb } from "./client.ts";
import { isPostgresUrl } from "./dialect.ts";
import { lockWrites, type PgPool } from "./postgres.ts";

export class MigrateRefused extends Error {}

export type CopyReport = { tables: { name: string; rows: number }[] };

// Rows per SELECT from the source, and at most per INSERT (PostgreSQL takes 65535 params).
const PAGE = 1000;
const MAX_PARAMS = 60_000;

type Table = { name: string; columns: SQLiteColumn[]; dependsOn: string[] };

// schema.ts's tables, each after the tables its foreign keys point to.
export function tablesInForeignKeyOrder(): Table[] {
  const tables = new Map<string, Table>();
  for (const value of Object.values(schema)) {
    if (!is(value, SQLiteTable)) continue;
    const config = getTableConfig(value);
    tables.set(config.name, {
      name: config.name,
      columns: config.columns,
      dependsOn: config.foreignKeys.map((fk) => getTableConfig(fk.reference().foreignTable).name)
        .filter((n) => n !== config.name),
    });
  }
  const ordered: Table[] = [];
  const placed = new Set<string>();
  const place = (t: Table, path: string[]) => {
    if (placed.has(t.name)) return;
    if (path.includes(t.name)) throw new Error(`foreign keys loop: ${[...path, t.name]}`);
    for (const dep of t.dependsOn) place(tables.get(dep)!, [...path, t.name]);
    placed.add(t.name);
    ordered.push(t);
  };
  for (const t of tables.values()) place(t, []);
  return ordered;
}

// The database name in a PostgreSQL URL (what --force must repeat).
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || "postgres";
}

export async function copyToPostgres(opts: {
  from: string;
  to: string;
  // The target's database name, to empty it first if it holds rows.
  force?: string;
  progress?: (table: string, rows: number) => void;
}): Promise<CopyReport> {
  if (!opts.from.startsWith("file:")) {
    throw new MigrateRefused(`--from must be a libSQL file (file:…), not ${opts.from}`);
  }
  if (!isPostgresUrl(opts.to)) {
    throw new MigrateRefused("--to must be a PostgreSQL URL (postgres://…)");
  }
  const target = databaseName(opts.to);
  if (opts.force !== undefined && opts.force !== target) {
    throw new MigrateRefused(
      `--force names "${opts.force}" but the target database is "${target}"`,
    );
  }
  // Both at the current schema: the source's pending migrations apply as `pounce up` would.
  const src = await openDb({ url: opts.from });
  let dst: Db | undefined;
  try {
    dst = await openDb({ url: opts.to });
    const pool = (dst as unknown as { $pool: PgPool }).$pool;
    return await copyTables(src.$client, pool, target, opts);
  } finally {
    if (dst) await closeDb(dst, undefined);
    await closeDb(src, undefined);
  }
}

async function copyTables(
  src: Client,
  pool: PgPool,
  target: string,
  opts: { force?: string; progress?: (table: string, rows: number) => void },
): Promise<CopyReport> {
  const tables = tablesInForeignKeyOrder();
  const client = await pool.connect();
  const report: CopyReport = { tables: [] };
  try {
    await client.query("BEGIN");
    await lockWrites(client);
    const filled = [];
    for (const t of tables) {
      const { rows } = await client.query(`SELECT EXISTS (SELECT 1 FROM ${q(t.name)}) AS e`);
      if (rows[0].e) filled.push(t.name);
    }
    if (filled.length && opts.force === undefined) {
      throw new MigrateRefused(
        `the target database "${target}" is not empty (rows in ${filled.join(", ")}); ` +
          `to replace what it holds, give --force ${target}`,
      );
    }
    if (filled.length) {
      await client.query(`TRUNCATE ${tables.map((t) => q(t.name)).join(", ")} RESTART IDENTITY`);
    }
    for (const t of tables) {
      const rows = await copyTable(src, client, t);
      report.tables.push({ name: t.name, rows });
      opts.progress?.(t.name, rows);
    }
    for (const t of tables) await continueIdentity(src, client, t);
    await client.query("COMMIT");
    return report;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

type PgClient = pg.PoolClient;

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

// Pages through the source by rowid; each page goes in INSERTs of as many rows as fit.
async function copyTable(src: Client, dst: PgClient, t: Table): Promise<number> {
  const names = t.columns.map((c) => q(c.name)).join(", ");
  const perInsert = Math.max(1, Math.min(PAGE, Math.floor(MAX_PARAMS / t.columns.length)));
  let after: number | bigint = Number.MIN_SAFE_INTEGER;
  let copied = 0;
  for (;;) {
    const page = await src.execute({
      sql: `SELECT rowid AS "__rowid", ${names} FROM ${q(t.name)}
             WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE}`,
      args: [after],
    });
    if (!page.rows.length) return copied;
    for (let i = 0; i < page.rows.length; i += perInsert) {
      const rows = page.rows.slice(i, i + perInsert);
      const values: unknown[] = [];
      const tuples = rows.map((row) =>
        `(${
          t.columns.map((c) => {
            values.push(pgValue(c, row[c.name]));
            return `$${values.length}`;
          }).join(", ")
        })`
      );
      await dst.query(`INSERT INTO ${q(t.name)} (${names}) VALUES ${tuples.join(", ")}`, values);
    }
    copied += page.rows.length;
    after = page.rows[page.rows.length - 1].__rowid as number | bigint;
  }
}

// A value as SQLite stores it, as the PostgreSQL column (schema-pg.ts) takes it.
function pgValue(c: SQLiteColumn, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (c.columnType === "SQLiteBoolean") return Boolean(Number(v));
  if (typeof v === "bigint") return v.toString();
  return v;
}

// An identity column goes on after the highest key copied, or SQLite's counter if higher
// (keys of deleted rows are not given out again, as on SQLite).
async function continueIdentity(src: Client, dst: PgClient, t: Table): Promise<void> {
  const auto = t.columns.find((c) =>
    c.primary && (c as unknown as { autoIncrement?: boolean }).autoIncrement
  );
  if (!auto) return;
  const counter = await src.execute({
    sql: "SELECT seq FROM sqlite_sequence WHERE name = ?",
    args: [t.name],
  }).then((r) => Number(r.rows[0]?.seq ?? 0), () => 0);
  const { rows } = await dst.query(`SELECT max(${q(auto.name)}) AS m FROM ${q(t.name)}`);
  const last = Math.max(counter, Number(rows[0].m ?? 0));
  await dst.query("SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)", [
    q(t.name),
    auto.name,
    Math.max(last, 1),
    last > 0,
  ]);
}
