// The embedded database's client: libSQL's `Client` interface, the part drizzle and we
// use, straight over the `libsql` driver with its prepared statements kept. The generic
// client prepares every statement anew and decodes each value through property
// definitions; here a statement is prepared once and its rows are built by a class made
// for its columns, which makes a typical query several times cheaper (see BENCHMARKS.md).
// One connection, used one statement at a time (serialized.ts sees to that).
import type {
  Client,
  InArgs,
  InStatement,
  InValue,
  ResultSet,
  Row,
  Transaction,
  TransactionMode,
} from "@libsql/client";
import Database from "libsql";
// fs.fdatasync looked up at each call (tests hold it to see the order of a commit).
import fs, { closeSync, openSync } from "node:fs";
import { dbFilePath } from "./db-file.ts";

type Stmt = ReturnType<InstanceType<typeof Database>["prepare"]>;
type Prepared = {
  stmt: Stmt;
  reader: boolean;
  // Ends in `LIMIT 1`: run with `get` (one call into the driver, no iterator).
  one: boolean;
  columns: string[];
  make?: (raw: unknown[]) => Row;
};

// Prepared statements kept (the daemon's queries are a few hundred distinct texts; SQL
// built with values inlined, e.g. long IN lists, would only churn this).
const MAX_PREPARED = 1000;
const VALUES = Symbol("values");

function toSql(value: InValue | undefined): unknown {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Date) return value.valueOf();
  if (value === undefined) {
    throw new TypeError("undefined cannot be passed as argument to the database");
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new RangeError("Only finite numbers (not Infinity or NaN) can be passed as arguments");
  }
  return value;
}

function argsOf(args: InArgs | undefined): unknown[] | Record<string, unknown> {
  if (!args) return [];
  if (Array.isArray(args)) return args.map(toSql);
  const named: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    named[/^[@$:]/.test(name) ? name.slice(1) : name] = toSql(value);
  }
  return named;
}

// Rows as the generic client makes them: named, enumerable values (the first of a name
// wins) and, not enumerable, the values by index and `length`.
function rowMaker(columns: string[]): (raw: unknown[]) => Row {
  class R {
    [VALUES]: unknown[];
    constructor(raw: unknown[]) {
      this[VALUES] = raw;
      const self = this as unknown as Record<string, unknown>;
      for (let i = 0; i < columns.length; i++) {
        if (!Object.hasOwn(self, columns[i])) self[columns[i]] = raw[i];
      }
    }
  }
  Object.defineProperty(R.prototype, "length", { value: columns.length });
  for (let i = 0; i < columns.length; i++) {
    Object.defineProperty(R.prototype, i, {
      get(this: R) {
        return this[VALUES][i];
      },
    });
  }
  return (raw) => new R(raw) as unknown as Row;
}

function resultSet(
  columns: string[],
  rows: Row[],
  rowsAffected: number,
  lastInsertRowid: bigint | undefined,
): ResultSet {
  return {
    columns,
    columnTypes: columns.map(() => ""),
    rows,
    rowsAffected,
    lastInsertRowid,
    toJSON: () => ({
      columns,
      rows: rows.map((r) => Array.prototype.slice.call(r)),
      rowsAffected,
      lastInsertRowid: lastInsertRowid?.toString() ?? null,
    }),
  };
}

class Connection {
  private readonly db: InstanceType<typeof Database>;
  private readonly prepared = new Map<string, Prepared>();
  // Statements and commits run so far (/metrics: pounce_db_statements, pounce_db_commits).
  statements = 0;
  commits = 0;

  constructor(private readonly path: string, timeout: number) {
    // As the generic client passes it.
    this.db = new Database(path, { timeout } as never);
  }

  // With `syncWal` (see embeddedClient), the WAL file, synced after each write commit.
  private walFd?: number;
  syncWal = false;

  // Set for the next sync only (see embeddedClient's syncNextInPlace).
  nextSyncInPlace = false;

  // Resolves once what has been committed is on disk: the WAL's fdatasync, run on libuv's
  // thread pool, so the event loop goes on meanwhile (SQLite's own sync at COMMIT,
  // `synchronous = FULL`, would block it for the whole fsync); or in place when asked.
  durable(): Promise<void> {
    if (!this.syncWal) return Promise.resolve();
    this.walFd ??= openSync(`${this.path}-wal`, "r");
    const fd = this.walFd;
    if (this.nextSyncInPlace) {
      this.nextSyncInPlace = false;
      try {
        fs.fdatasyncSync(fd);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise((resolve, reject) =>
      fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()))
    );
  }

  begin(mode: TransactionMode | undefined): void {
    this.execute(begin(mode));
  }

  // Ends the open transaction (if any) with COMMIT or ROLLBACK.
  end(how: "COMMIT" | "ROLLBACK"): void {
    if (how === "ROLLBACK") this.nextSyncInPlace = false;
    try {
      if (how === "COMMIT") this.execute("COMMIT");
      else if (this.open && this.inTransaction) this.execute("ROLLBACK");
    } catch (err) {
      // A commit that failed (busy, I/O) leaves nothing open behind it.
      if (this.open && this.inTransaction) this.execute("ROLLBACK");
      throw err;
    }
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  get open(): boolean {
    return this.db.open;
  }

  private prepare(sql: string): Prepared {
    let p = this.prepared.get(sql);
    if (p) return p;
    const stmt = this.db.prepare(sql);
    const reader = (stmt as unknown as { reader: boolean }).reader;
    const columns = reader ? (stmt.columns() as { name: string }[]).map((c) => c.name) : [];
    if (reader) stmt.raw(true);
    p = {
      stmt,
      reader,
      one: reader && /\bLIMIT 1\s*$/i.test(sql),
      columns,
      make: reader ? rowMaker(columns) : undefined,
    };
    if (this.prepared.size >= MAX_PREPARED) this.prepared.clear();
    this.prepared.set(sql, p);
    return p;
  }

  execute(stmt: InStatement): ResultSet {
    const sql = typeof stmt === "string" ? stmt : stmt.sql;
    const args = typeof stmt === "string" ? [] : argsOf(stmt.args);
    const p = this.prepare(sql);
    this.statements++;
    if (sql === "COMMIT") this.commits++;
    if (p.one) {
      const raw = p.stmt.get(args) as unknown[] | undefined;
      return resultSet(p.columns, raw ? [p.make!(raw)] : [], 0, undefined);
    }
    if (p.reader) {
      const raws = p.stmt.all(args) as unknown[][];
      return resultSet(p.columns, raws.map(p.make!), 0, undefined);
    }
    const info = p.stmt.run(args) as { changes: number; lastInsertRowid: number | bigint };
    return resultSet([], [], info.changes, BigInt(info.lastInsertRowid));
  }

  exec(sql: string): void {
    this.statements++;
    this.db.exec(sql);
  }

  // Changes when another connection commits (SQLite's data_version): what
  // versioned-cache.ts validates its entries with. Read at most once per pass of the event
  // loop (it costs a look at the WAL's shared memory).
  dataVersion(): number {
    if (this.seenDataVersion === undefined) {
      // One row: `get` (one call into the driver) rather than `all` (an iterator).
      this.statements++;
      const row = this.prepare("PRAGMA data_version").stmt.get([]) as unknown[];
      this.seenDataVersion = Number(row[0]);
      setImmediate(() => (this.seenDataVersion = undefined));
    }
    return this.seenDataVersion;
  }
  private seenDataVersion?: number;

  close(): void {
    this.prepared.clear();
    if (this.db.open) this.db.close();
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }
}

function begin(mode: TransactionMode | undefined): string {
  return mode === "read" ? "BEGIN" : mode === "deferred" ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE";
}

class EmbeddedTransaction {
  private done = false;

  constructor(private readonly conn: Connection, private readonly mode: TransactionMode) {}

  get closed(): boolean {
    return this.done || !this.conn.open || !this.conn.inTransaction;
  }

  private check(): void {
    if (this.closed) {
      throw Object.assign(new Error("The transaction is closed"), { code: "TRANSACTION_CLOSED" });
    }
  }

  execute(stmt: InStatement): Promise<ResultSet> {
    try {
      this.check();
      return Promise.resolve(this.conn.execute(stmt));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async batch(stmts: InStatement[]): Promise<ResultSet[]> {
    const out: ResultSet[] = [];
    for (const s of stmts) out.push(await this.execute(s));
    return out;
  }

  executeMultiple(sql: string): Promise<void> {
    try {
      this.check();
      this.conn.exec(sql);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  commit(): Promise<void> {
    try {
      this.check();
    } catch (err) {
      return Promise.reject(err);
    }
    try {
      this.conn.end("COMMIT");
      return this.mode !== "read" ? this.conn.durable() : Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    } finally {
      this.done = true;
    }
  }

  rollback(): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.conn.end("ROLLBACK");
  }
}

// A Client for a `file:` URL.
export function embeddedClient(url: string, opts: { timeout?: number } = {}): Client {
  const path = dbFilePath(url)!;
  const timeout = opts.timeout ?? 5000;
  const conn = new Connection(path, timeout);
  // With guardWrites: the connection for everything but write transactions, refusing
  // writes for good (`PRAGMA query_only`, set once: setting it again at each transaction
  // would expire every prepared statement of the connection, so that SQLite compiles each
  // statement again at its next use).
  let reads: Connection | undefined;
  const readsOr = (mode?: TransactionMode) =>
    reads && (mode === undefined || mode === "read") ? reads : conn;
  const sync = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  };
  const inTx = (mode: TransactionMode | undefined, fn: (c: Connection) => ResultSet[]) => {
    const c = readsOr(mode);
    return sync(() => {
      c.begin(mode);
      let out;
      try {
        out = fn(c);
      } catch (err) {
        c.end("ROLLBACK");
        throw err;
      }
      c.end("COMMIT");
      return out;
    }).then(async (out) => {
      if (mode !== "read") await c.durable();
      return out;
    });
  };
  let closed = false;
  const client = {
    protocol: "file",
    get closed() {
      return closed;
    },
    execute: (stmt: InStatement, args?: InArgs) =>
      sync(() => readsOr().execute(typeof stmt === "string" && args ? { sql: stmt, args } : stmt)),
    batch: (stmts: InStatement[], mode?: TransactionMode) =>
      inTx(mode ?? "deferred", (c) => stmts.map((s) => c.execute(s))),
    migrate: (stmts: InStatement[]) =>
      sync(() => {
        conn.execute("PRAGMA foreign_keys=off");
        try {
          conn.begin("deferred");
          let out;
          try {
            out = stmts.map((s) => conn.execute(s));
          } catch (err) {
            conn.end("ROLLBACK");
            throw err;
          }
          conn.end("COMMIT");
          return out;
        } finally {
          conn.execute("PRAGMA foreign_keys=on");
        }
      }).then(async (out) => {
        await conn.durable();
        return out;
      }),
    transaction: (mode?: TransactionMode) =>
      sync(() => {
        const c = readsOr(mode ?? "write");
        c.begin(mode ?? "write");
        return new EmbeddedTransaction(c, mode ?? "write") as unknown as Transaction;
      }),
    executeMultiple: (sql: string) => sync(() => readsOr().exec(sql)),
    // Not part of libSQL's Client: see Connection.dataVersion.
    dataVersion: () => (conn.open ? conn.dataVersion() : undefined),
    // Not part of libSQL's Client: from then on, everything but write transactions runs on
    // a second connection that refuses writes (by SQLite: `PRAGMA query_only`; see
    // serialized.ts).
    guardWrites: () => {
      if (reads) return;
      reads = new Connection(path, timeout);
      reads.execute("PRAGMA query_only = ON");
    },
    // Not part of libSQL's Client: the next write commit's sync of the WAL runs on this
    // thread, sparing the thread pool's round trip (~0.1–0.2 ms) when nothing else would run
    // meanwhile (group-commit.ts decides).
    syncNextInPlace: () => {
      conn.nextSyncInPlace = true;
    },
    // Not part of libSQL's Client. From then on, a write's commit resolves once
    // the WAL is synced, off the event loop (see Connection.durable): for a database in
    // WAL mode with `synchronous = NORMAL`, which then is as durable as FULL.
    syncWalAtCommit: () => {
      conn.syncWal = true;
    },
    // What has run so far.
    counts: () => ({
      statements: conn.statements + (reads?.statements ?? 0),
      commits: conn.commits,
    }),
    sync: () => Promise.reject(new Error("sync() is for embedded replicas")),
    reconnect: () => Promise.reject(new Error("reconnect() is not supported")),
    close: () => {
      closed = true;
      reads?.close();
      conn.close();
    },
  };
  return client as unknown as Client;
}
