// Opens the database (an embedded libSQL file, a libSQL server, or PostgreSQL: postgres.ts)
// and applies the embedded migrations.
import type { Client } from "@libsql/client";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
// The embedded-only entry: the full one loads the remote protocols' code (~8 MB of an
// idle daemon's memory) even when the database is a file.
import { drizzle } from "drizzle-orm/libsql/sqlite3";
import Database from "libsql";
import { migrations } from "./migrations.gen.ts";
import * as schema from "./schema.ts";
import { embeddedClient } from "./embedded.ts";
import { serialize } from "./serialized.ts";
import { groupCommit } from "./group-commit.ts";
import { log } from "../util/log.ts";
import { isPostgresUrl } from "./dialect.ts";

export type Db = LibSQLDatabase<typeof schema> & { $client: Client };

export type Durability = "fsync" | "process";

// How long closeDb waits for queued writes.
const DRAIN_MS = 5000;

export type OpenOptions = {
  url: string;
  authToken?: string;
  durability?: Durability;
};

export async function openDb(opts: OpenOptions): Promise<Db> {
  if (isPostgresUrl(opts.url)) {
    // Loaded only then: the libSQL path does not carry the PostgreSQL driver.
    const db = await (await import("./postgres.ts")).openPostgres(opts.url);
    enforced.add(db);
    return db;
  }
  // The pragmas below are set on the connection that writes (embedded.ts, serialized.ts).
  const embedded = opts.url.startsWith("file:");
  const raw = embedded ? embeddedClient(opts.url, { timeout: 5000 }) : await remoteClient(opts);
  if (embedded) {
    const mode = (await raw.execute("PRAGMA journal_mode = WAL")).rows[0]?.[0];
    // `fsync`: every commit's WAL frames synced before the commit's promise resolves. In
    // WAL mode that is SQLite's `synchronous = NORMAL` (no sync at COMMIT) plus a sync of
    // the WAL after it, which the embedded client runs off the event loop (embedded.ts);
    // else SQLite's own, blocking, `FULL`.
    const offLoop = opts.durability !== "process" && mode === "wal";
    const full = opts.durability !== "process" && !offLoop;
    await raw.execute(`PRAGMA synchronous = ${full ? "FULL" : "NORMAL"}`);
    if (offLoop) (raw as Client & { syncWalAtCommit(): void }).syncWalAtCommit();
  }
  // Migrations rebuild tables (0002): they run before foreign keys are enforced.
  if (embedded) await raw.execute("PRAGMA foreign_keys = OFF");
  await migrate(raw);
  const cascades = embedded && await enforceForeignKeys(raw);
  // From here on, writes run only in transactions (see serialized.ts). A server's
  // connections are not this process's to set pragmas on: there it is not enforced.
  const client = serialize(raw, { writesInTransactions: embedded });
  const db = drizzle(client, { schema }) as Db;
  if (cascades) enforced.add(db);
  return db;
}

const enforced = new WeakSet<Db>();

// Statements and commits run so far on the embedded database (undefined elsewhere).
export function statementCounts(db: Db): { statements: number; commits: number } | undefined {
  return (db.$client as { counts?: () => { statements: number; commits: number } }).counts?.();
}

// Whether the database itself deletes a row's children (the schema's ON DELETE CASCADE).
// True on PostgreSQL and on the embedded database (one connection, foreign_keys set on
// it); a libSQL server sets the pragma per connection (per stream), which this process
// cannot hold to, so there the owners of the tables delete the children themselves.
export function foreignKeysEnforced(db: Db): boolean {
  return enforced.has(db);
}

// Outside any transaction (SQLite ignores the pragma inside one).
async function enforceForeignKeys(client: Client): Promise<boolean> {
  await client.execute("PRAGMA foreign_keys = ON");
  const { rows } = await client.execute("PRAGMA foreign_keys");
  return Number(rows[0]?.[0]) === 1;
}

// Closes the database. A file's WAL is then folded into the file and emptied (on a
// connection of its own: the closed one may hold on to its file until its statements are
// collected), so that after a clean stop the database file alone holds everything. Returns
// whether that happened in full (other connections, e.g. other nodes, can keep part of it).
// Writes queued on GroupCommit are committed first (given DRAIN_MS: a write that never
// ends must not keep the daemon from stopping; what is left fails when the client closes).
export async function closeDb(db: Db, file: string | undefined): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = await Promise.race([
    groupCommit(db).drain().then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DRAIN_MS))),
  ]).finally(() => clearTimeout(timer));
  if (!drained) log.warn("closing the database with writes still running");
  db.$client.close();
  if (!file) return false;
  try {
    const conn = new Database(file, { timeout: 1000 } as never);
    try {
      const [busy, log, done] = conn.prepare("PRAGMA wal_checkpoint(TRUNCATE)").raw(true)
        .get() as number[];
      return busy === 0 && log === done;
    } finally {
      conn.close();
    }
  } catch {
    return false; // the WAL stays, and is read at the next start
  }
}

async function remoteClient(opts: OpenOptions): Promise<Client> {
  const { createClient } = await import("@libsql/client");
  return createClient({ url: opts.url, authToken: opts.authToken, concurrency: 1, timeout: 5000 });
}

// Same bookkeeping table as drizzle-kit's migrator, fed from the embedded list.
async function migrate(client: Client): Promise<void> {
  await client.execute(
    "CREATE TABLE IF NOT EXISTS __drizzle_migrations (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)",
  );
  const last = await client.execute(
    "SELECT created_at FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 1",
  );
  const lastMillis = last.rows.length ? Number(last.rows[0].created_at) : -1;
  const pending = migrations.filter((m) => m.folderMillis > lastMillis);
  if (!pending.length) return;
  const statements = pending.flatMap((m) => [
    ...m.sql.filter((s) => s.trim()).map((s) => ({ sql: s, args: [] })),
    {
      sql: "INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)",
      args: [m.hash, m.folderMillis],
    },
  ]);
  await client.batch(statements, "write");
}
