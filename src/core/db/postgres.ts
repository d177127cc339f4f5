// Opens a PostgreSQL database (`postgres://…`): node-postgres' pool under drizzle's
// PostgreSQL dialect, the embedded PostgreSQL migrations applied. The handle is typed and
// used as the SQLite one is (dialect.ts says how the same queries run on both).
//
// Writes: every transaction first takes one advisory lock, held until it ends, so write
// transactions run one at a time across all nodes, as they do on SQLite. What SQLite's
// single writer guarantees thus holds here too: an event's `seq` and a log record's `id`
// become visible in the order they were taken (the cursors of subscriptions and of the
// live tail depend on it), and a read-then-write in a transaction sees no other commit.
// The driver (and drizzle's dialect for it) are imported in openPostgres, not here: a
// bundle that inlines this module (the bench's, Deno's) would otherwise load them into
// every daemon, where they cost ~4 MB of an idle libSQL daemon's heap.
import type pg from "pg";
import { sql } from "drizzle-orm";
import type { Client, InStatement, ResultSet } from "@libsql/client";
import { resultSet } from "./postgres-result.ts";
import * as schema from "./schema.ts";
import { migrations } from "./migrations-pg.gen.ts";
import { markPostgres, numberedParams } from "./dialect.ts";
import type { Db } from "./client.ts";
import { log } from "../util/log.ts";
import { PgChannels } from "./pg-notify.ts";

// pg_advisory_xact_lock's key for the write lock, and the migrations' lock.
const WRITE_LOCK = 0x706f756e; // "poun"
const MIGRATE_LOCK = WRITE_LOCK + 1;

export type PgPool = InstanceType<typeof pg.Pool>;

// Connections kept by one daemon: the group committer and the odd transaction use one
// each, reads the rest.
const POOL_SIZE = 10;

// A transaction whose client goes quiet this long is ended by the server, which releases
// the write lock it holds: a node paused mid-write (GC, swap, SIGSTOP) must not stall every
// other node's writes until it wakes. Longer than any pause the daemon makes inside a
// transaction (a filter's evaluation is bounded at ~2 s).
const IDLE_IN_TRANSACTION_MS = 5000;

export async function openPostgres(url: string): Promise<Db> {
  const [{ default: pg }, { drizzle }] = await Promise.all([
    import("pg"),
    import("drizzle-orm/node-postgres"),
  ]);
  // Read back as the SQLite driver gives them: integers as numbers (epoch ms and counters
  // fit in 53 bits), JSON as its text (schema.ts's JSON columns parse it themselves).
  pg.types.setTypeParser(pg.types.builtins.INT8, Number);
  pg.types.setTypeParser(pg.types.builtins.NUMERIC, Number);
  pg.types.setTypeParser(pg.types.builtins.JSON, (v: string) => v);
  pg.types.setTypeParser(pg.types.builtins.JSONB, (v: string) => v);
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
  });
  // An idle connection that breaks (the server restarted) is dropped by the pool; the next
  // query opens a new one.
  pool.on("error", (err) => log.warn("a PostgreSQL connection failed", { error: err.message }));
  // One in use fails its query instead; the event must not go unheard (it would throw).
  pool.on(
    "connect",
    (client) =>
      client.on(
        "error",
        (err) => log.warn("a PostgreSQL connection in use failed", { error: err.message }),
      ),
  );
  await migrate(pool);
  const channels = new PgChannels(url, pool, pg.Client);
  await channels.start();
  const db = drizzle(pool, { schema }) as unknown as Db & Record<string, unknown>;
  const transaction = db.transaction.bind(db);
  Object.assign(db, {
    transaction: ((fn, config) =>
      transaction(async (tx) => {
        await (tx as unknown as PgExec).execute(sql`SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
        return fn(tx);
      }, config)) as Db["transaction"],
    // SQLite's ways to run a statement, as the code uses them.
    all: async (q: Parameters<Db["all"]>[0]) => (await (db as unknown as PgExec).execute(q)).rows,
    get: async (q: Parameters<Db["get"]>[0]) =>
      (await (db as unknown as PgExec).execute(q)).rows[0],
    run: (q: Parameters<Db["run"]>[0]) => (db as unknown as PgExec).execute(q),
    $client: libsqlLike(pool, channels),
    $pool: pool,
    $channels: channels,
  });
  markPostgres(db);
  return db;
}

// Takes the nodes' write lock for the transaction open on `client` (`pounce migrate`).
export async function lockWrites(client: { query(text: string, values: unknown[]): unknown }) {
  await client.query("SELECT pg_advisory_xact_lock($1)", [WRITE_LOCK]);
}

type PgExec = { execute(q: unknown): Promise<{ rows: unknown[] }> };

// The part of libSQL's Client the code uses on `db.$client` (plain SQL with `?`
// placeholders), over the pool; `dataVersion` as the embedded client has it, for the
// config tables only (versioned-cache.ts).
function libsqlLike(pool: PgPool, channels: PgChannels): Client {
  let closed = false;
  const execute = async (stmt: InStatement, args?: unknown[]): Promise<ResultSet> => {
    const text = typeof stmt === "string" ? stmt : stmt.sql;
    const values = typeof stmt === "string" ? args ?? [] : stmt.args ?? [];
    return resultSet(await pool.query(numberedParams(text), values as unknown[]));
  };
  return {
    protocol: "postgres",
    get closed() {
      return closed;
    },
    execute,
    dataVersion: () => channels.version,
    close: () => {
      if (closed) return;
      closed = true;
      channels.close();
      pool.end().catch((err) => log.warn("closing PostgreSQL failed", { error: err.message }));
    },
  } as unknown as Client;
}

// Applies the embedded migrations not applied yet, in drizzle-kit's bookkeeping table
// (schema "drizzle"), under a lock so that nodes starting together migrate once.
async function migrate(pool: PgPool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATE_LOCK]);
    await client.query("CREATE SCHEMA IF NOT EXISTS drizzle");
    await client.query(
      `CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations
         (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
    );
    const last = await client.query(
      "SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY created_at DESC LIMIT 1",
    );
    const lastMillis = last.rows.length ? Number(last.rows[0].created_at) : -1;
    for (const m of migrations.filter((m) => m.folderMillis > lastMillis)) {
      for (const s of m.sql) if (s.trim()) await client.query(s);
      await client.query(
        "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ($1, $2)",
        [m.hash, m.folderMillis],
      );
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
