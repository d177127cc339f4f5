// Group commit: the one batching layer. Concurrent writes share transactions, so that one
// commit (one fsync in `--durability fsync`) carries many of them. A write's promise
// resolves after the transaction that holds it has committed, so a step's result is still
// on disk before Python sees it. Writes run in the order they were queued; those queued
// while a batch runs (e.g. by one of its writes) join it.
//
// - `lazy` writes (nobody waits for them: prints, the call records of a long activity) do
//   not start a commit; they ride with the next write that does, or are committed after
//   LAZY_MS.
// - `isolated` writes (syscall effects, anything that may throw) run in a savepoint when
//   they share a transaction, so a failing one fails alone; the others are plain
//   statements that do not fail short of a database error, which fails their whole batch.
//
// - `fence`d writes (a session's journal: sessions/fence.ts) commit only while their fence
//   holds: it is checked in the transaction, before the write runs. One whose fence does
//   not hold has written nothing, so it fails alone (fence.lost()), with its log records,
//   isolated or not; the batch's other writes commit.
// - Session log records (`appendLog`) of a batch are inserted together, in one statement
//   after the batch's other writes (so those do not see them).
//
// A write must use only the transaction it is given (see serialized.ts) and must not
// queue another write and wait for it (that would wait for its own batch).
import { setImmediate } from "node:timers";
import type { InValue } from "@libsql/client";
import type { Db } from "./client.ts";
import { isPostgres } from "./dialect.ts";
import { execOn, type Tx } from "./tx.ts";
import { perHandle } from "./per-handle.ts";
import { logFailure } from "../util/log.ts";
import { journalCommitted } from "../../observability/metrics.ts";
import type { sessionLogs } from "./schema.ts";

export type Write<T> = (tx: Tx) => Promise<T>;
export type WriteOptions = {
  lazy?: boolean;
  isolated?: boolean;
  fence?: Fence;
  // The write only inserts new rows (an event and its new sessions): it moves no fence, so
  // fences checked before it in the transaction need no check again after it.
  movesNoFence?: boolean;
  // Fences this write makes hold (it inserts the rows they check: new sessions): once it
  // has run, they are not checked again in its transaction.
  makesFences?: string[];
};

// A condition a write commits under, checked by `holds` in the write's transaction (and
// holding until it commits: `holds` must lock what it reads, as an UPDATE does). Fences
// with the same `key` are one check: it is not repeated within a transaction.
export type Fence = { readonly key: string; holds(tx: Tx): Promise<boolean>; lost(): Error };

export type LogRow = typeof sessionLogs.$inferInsert;

type Pending = {
  write?: Write<unknown>;
  logs?: LogRow[];
  // Resolves with the write's value and the records' ids; else with the write's value, or
  // the id of its one record.
  both?: boolean;
  isolated: boolean;
  fence?: Fence;
  movesNoFence?: boolean;
  makesFences?: string[];
  lazy?: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
};

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

// A batch is cut at this many writes; the rest go in the next transaction.
const MAX_BATCH = 512;
// How long a lazy write waits for a write that commits.
const LAZY_MS = 10;
// Log records per INSERT statement (5 parameters each, SQLite allows 32766).
const LOG_ROWS_PER_INSERT = 1000;
// After this many batches in a row of one write each, each begun within IN_PLACE_GAP_MS of
// the last commit, a lone write's sync runs in place (see loneRun).
const LONE_BATCHES_IN_PLACE = 8;
const IN_PLACE_GAP_MS = 2;

export class GroupCommit {
  private queue: Pending[] = [];
  // Queued writes that are not lazy: while there are none, lazy ones wait.
  private eager = 0;
  // Set by flushNow: commit what is queued, lazy writes too, until the queue is empty.
  private lazyDue = false;
  private flushing = false;
  private lazyTimer?: ReturnType<typeof setTimeout>;
  // Writes and transactions so far (for benchmarks and tests).
  readonly stats = { writes: 0, commits: 0 };

  // Whether log records' ids come back by RETURNING (PostgreSQL, a libSQL server) or by
  // the embedded SQLite's numbering (insertedIds).
  private readonly returning: boolean;
  // The embedded database's way to sync a commit in place (see loneRun).
  private readonly syncNextInPlace?: () => void;
  // Batches of one write in a row: one write at a time, each waited for (a session's steps
  // back to back). Its sync then runs in place, sparing the thread pool's round trip,
  // since nothing would run on the loop meanwhile. A batch of more writes means work that
  // overlaps: syncs go back to the thread pool, so the loop takes in more while one runs.
  private loneRun = 0;
  private committedAt = -Infinity;

  constructor(private readonly db: Db) {
    this.returning = isPostgres(db) || db.$client.protocol !== "file";
    const client = db.$client as { syncNextInPlace?: () => void };
    if (!isPostgres(db) && typeof client.syncNextInPlace === "function") {
      this.syncNextInPlace = () => client.syncNextInPlace!();
    }
  }

  write<T>(write: Write<T>, opts: WriteOptions = {}): Promise<T> {
    return this.enqueue<T>(
      {
        write,
        isolated: opts.isolated ?? false,
        fence: opts.fence,
        movesNoFence: opts.movesNoFence,
        makesFences: opts.makesFences,
      },
      opts.lazy,
    );
  }

  // Inserts a session log record; resolves with its id.
  appendLog(row: LogRow, opts: { lazy?: boolean; fence?: Fence } = {}): Promise<number> {
    return this.enqueue<number>({ logs: [row], isolated: false, fence: opts.fence }, opts.lazy);
  }

  // A write and log records in one entry (a durable step's writes): one promise, resolved
  // with the write's value and the records' ids once committed.
  writeWithLogs<T>(
    write: Write<T>,
    rows: LogRow[],
    fence?: Fence,
    lazy = false,
  ): Promise<{ value: T; ids: number[] }> {
    return this.enqueue({ write, logs: rows, both: true, isolated: false, fence }, lazy);
  }

  private enqueue<T>(
    p: Pick<
      Pending,
      "write" | "logs" | "both" | "isolated" | "fence" | "movesNoFence" | "makesFences"
    >,
    lazy?: boolean,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // Every entry of one shape (a spread of differing options would make many).
      this.queue.push({
        write: p.write,
        logs: p.logs,
        both: p.both,
        isolated: p.isolated,
        fence: p.fence,
        movesNoFence: p.movesNoFence,
        makesFences: p.makesFences,
        lazy,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (lazy) this.lazyTimer ??= setTimeout(() => this.flushNow(), LAZY_MS);
      else {
        this.eager++;
        this.kick();
      }
    });
  }

  // Resolves once nothing is queued or being committed (what was queued has settled).
  async drain(): Promise<void> {
    while (this.queue.length || this.flushing) {
      this.flushNow();
      await (this.flushed ??= new Promise<void>((resolve) => (this.onFlushed = resolve)));
    }
  }
  private flushed?: Promise<void>;
  private onFlushed?: () => void;

  // Commits what is queued now (lazy writes included).
  flushNow(): void {
    if (this.lazyTimer) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = undefined;
    }
    if (!this.queue.length) return;
    this.lazyDue = true;
    this.kick();
  }

  private kick(): void {
    if (this.flushing || !this.queue.length) return;
    this.flushing = true;
    // After the loop's I/O callbacks and what their promises run, not among them: the
    // writes they queue join this batch, and a session's runner gets its `start` before
    // the batch's statements run on this thread.
    setImmediate(() => this.flush().catch(logFailure("group commit failed")));
  }

  // Lazy writes left queued (no write that commits came, nor flushNow) have their timer.
  private async flush(): Promise<void> {
    try {
      while (this.queue.length && (this.eager > 0 || this.lazyDue)) await this.commitBatch();
    } finally {
      if (!this.queue.length) this.lazyDue = false;
      this.flushing = false;
      const done = this.onFlushed;
      this.flushed = this.onFlushed = undefined;
      done?.();
    }
  }

  private async commitBatch(): Promise<void> {
    let batch: Pending[] = [];
    const settled: Settled[] = [];
    const began = performance.now();
    try {
      await this.db.transaction(async (tx) => {
        // Taken once the transaction holds the connection: what queued meanwhile joins.
        batch = this.take(MAX_BATCH);
        const logs: number[] = [];
        // Fences that held in this transaction.
        const held = new Set<string>();
        for (let i = 0; i < batch.length; i++) {
          const p = batch[i];
          if (p.fence && !(await fenceHolds(tx, p.fence, held))) {
            settled[i] = { ok: false, error: p.fence.lost() };
          } else if (p.write) {
            // A write that is not fenced may move a fence (a lease's claim): check again.
            if (!p.fence && !p.movesNoFence) held.clear();
            // Alone so far: no savepoint (its failure fails the transaction, which holds
            // nothing else yet).
            if (!p.isolated || batch.length === 1) {
              settled[i] = { ok: true, value: await p.write(tx) };
            } else {
              settled[i] = await inSavepoint(tx, p.write);
            }
            if (p.makesFences && settled[i].ok) { for (const key of p.makesFences) held.add(key); }
          }
          if (p.logs && (!settled[i] || settled[i].ok)) logs.push(i);
          // What was queued meanwhile joins (a write's own follow-up, e.g. a log record).
          if (i === batch.length - 1 && batch.length < MAX_BATCH) {
            batch.push(...this.take(MAX_BATCH - batch.length));
          }
        }
        for (let from = 0; from < logs.length;) {
          let rows = 0;
          let to = from;
          while (
            to < logs.length &&
            (to === from || rows + batch[logs[to]].logs!.length <= LOG_ROWS_PER_INSERT)
          ) {
            rows += batch[logs[to]].logs!.length;
            to++;
          }
          await insertLogs(tx, logs.slice(from, to), batch, settled, this.returning);
          from = to;
        }
        this.loneRun = batch.length === 1 ? this.loneRun + 1 : 0;
        if (this.syncInPlace(began)) this.syncNextInPlace!();
      });
    } catch (error) {
      // BEGIN or COMMIT failed, or a write that is not isolated did (or the only one):
      // nothing of the batch is written.
      if (!batch.length) batch = this.take(MAX_BATCH);
      for (const p of batch) p.reject(error);
      return;
    }
    this.stats.writes += batch.length;
    this.stats.commits++;
    this.committedAt = performance.now();
    const took = this.committedAt - began;
    batch.forEach((p, i) => {
      const s = settled[i];
      if (s.ok) p.resolve(s.value);
      else p.reject(s.error);
    });
    // After what the writers do once committed (a durable step's answer to its runner).
    const writes = batch.length;
    queueMicrotask(() => journalCommitted(took, writes));
  }

  // Whether this batch's sync runs in place: one write at a time for a while, each
  // following the last commit closely (after an idle gap a sync is slower on many disks,
  // and would hold the loop longer).
  private syncInPlace(began: number): boolean {
    return !!this.syncNextInPlace && this.loneRun > LONE_BATCHES_IN_PLACE &&
      began - this.committedAt < IN_PLACE_GAP_MS;
  }

  private take(n: number): Pending[] {
    const taken = this.queue.splice(0, n);
    for (const p of taken) if (!p.lazy) this.eager--;
    return taken;
  }
}

// A write in a savepoint of the batch's transaction: if it fails, it alone is undone. Plain
// SQL (drizzle's nested transaction builds a database object for each).
async function inSavepoint(tx: Tx, write: Write<unknown>): Promise<Settled> {
  const exec = execOn(tx);
  await exec("SAVEPOINT group_write", []);
  try {
    const value = await write(tx);
    await exec("RELEASE group_write", []);
    return { ok: true, value };
  } catch (error) {
    await exec("ROLLBACK TO group_write", []);
    await exec("RELEASE group_write", []);
    return { ok: false, error };
  }
}

async function fenceHolds(tx: Tx, fence: Fence, held: Set<string>): Promise<boolean> {
  if (held.has(fence.key)) return true;
  if (!(await fence.holds(tx))) return false;
  held.add(fence.key);
  return true;
}

// One INSERT for the log records of these entries; an entry with a record whose (session,
// seq) exists already fails alone, as it would on its own.
async function insertLogs(
  tx: Tx,
  indexes: number[],
  batch: Pending[],
  settled: Settled[],
  returning: boolean,
) {
  const rows = indexes.flatMap((i) => batch[i].logs!);
  const values = rows.map(() => "(?, ?, ?, ?, ?)").join(", ");
  const args = rows.flatMap((
    r,
  ) => [r.sessionId, r.seq, r.type, JSON.stringify(r.data), r.createdAt]);
  const exec = execOn(tx);
  const sql = `INSERT INTO session_logs (session_id, seq, type, data, created_at) VALUES ${values}`;
  let idOf: Map<string, number>;
  const known = returning ? undefined : await insertedIds(exec, sql, args, rows.length);
  if (known !== undefined) {
    idOf = new Map(rows.map((r, i) => [`${r.sessionId}\0${r.seq}`, known + i]));
  } else {
    const inserted = await exec(
      `${sql} ON CONFLICT DO NOTHING RETURNING id, session_id, seq`,
      args,
    );
    idOf = new Map(inserted.rows.map((r) => [`${r.session_id}\0${r.seq}`, Number(r.id)]));
  }
  for (const i of indexes) {
    const p = batch[i];
    const ids: number[] = [];
    let missing: LogRow | undefined;
    for (const row of p.logs!) {
      const key = `${row.sessionId}\0${row.seq}`;
      const id = idOf.get(key);
      idOf.delete(key); // a record queued twice was inserted once
      if (id === undefined) missing ??= row;
      else ids.push(id);
    }
    settled[i] = missing
      ? {
        ok: false,
        error: new Error(
          `log record ${missing.seq} of session ${missing.sessionId} exists already`,
        ),
      }
      : {
        ok: true,
        value: p.both ? { value: settled[i]?.ok ? settled[i].value : undefined, ids } : ids[0],
      };
  }
}

// On SQLite, the records' ids without RETURNING (which makes SQLite buffer the rows and the
// driver read them back: ~40% of the insert): one multi-row INSERT into an AUTOINCREMENT
// table numbers its rows one after the other, the last one being the last insert's rowid.
// Returns the first id, or undefined if a record exists already (the statement then wrote
// nothing, and the caller inserts the others with RETURNING).
async function insertedIds(
  exec: ReturnType<typeof execOn>,
  sql: string,
  args: InValue[],
  rows: number,
): Promise<number | undefined> {
  let result;
  try {
    result = await exec(sql, args);
  } catch (err) {
    if ((err as { code?: unknown })?.code === "SQLITE_CONSTRAINT_UNIQUE") return undefined;
    throw err;
  }
  const last = result.lastInsertRowid;
  if (last === undefined || result.rowsAffected !== rows) {
    throw new Error(`session log insert: ${result.rowsAffected} of ${rows} rows, no ids`);
  }
  return Number(last) - rows + 1;
}

// The group committer of a database handle (one per handle, so all its users share it).
export const groupCommit = perHandle((db) => new GroupCommit(db));
