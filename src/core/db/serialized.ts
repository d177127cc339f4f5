// libSQL's embedded driver is synchronous: a connection that waits for a lock held by
// another connection of the same process blocks the event loop, so the holder can never
// finish (a deadlock until the busy timeout). So every statement goes through one
// connection, one at a time, and an open transaction holds that turn until it commits,
// rolls back or closes. Code inside a transaction must use the transaction, not the client.
//
// On an embedded database the writes also share commits (`group`): the first write opens
// a transaction on the connection, every statement and transaction that comes while it is
// open runs inside it (a transaction as a savepoint), and it commits when the queue of
// turns has drained. A write's promise resolves only after that commit, so what a caller
// awaited is on disk (in `fsync` durability) as before; but one commit (one fsync) now
// carries the writes of every session that wrote meanwhile. Reads see the open
// transaction's writes: those of this process, not yet committed.
import type { Client, InStatement, ResultSet, Transaction, TransactionMode } from "@libsql/client";
import { logFailure } from "../util/log.ts";

// The statements run synchronously and their promises settle as microtasks, so a long
// queue of them would run back to back without the event loop ever reading a socket (a
// runner's hello could wait seconds). After this long without a pass through the event
// loop, the next turn waits for one.
const MAX_BUSY_MS = 10;

class Turns {
  private tail: Promise<void> = Promise.resolve();
  private loopSeenAt = performance.now();
  private watching = false;
  waiting = 0;

  // Resolves with a release function when it is the caller's turn.
  take(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    this.waiting++;
    const turn = this.tail.then(() => this.breathe()).then(() => {
      this.waiting--;
      return release;
    });
    this.tail = turn.then(() => next);
    return turn;
  }

  private breathe(): Promise<void> | undefined {
    if (!this.watching) {
      this.watching = true;
      this.loopSeenAt = performance.now();
      setImmediate(() => (this.watching = false));
      return;
    }
    if (performance.now() - this.loopSeenAt < MAX_BUSY_MS) return;
    return new Promise<void>((resolve) => setImmediate(resolve));
  }
}

type Deferred = { resolve(): void; reject(err: unknown): void };

function deferred(): Deferred & { promise: Promise<void> } {
  let d!: Deferred;
  const promise = new Promise<void>((resolve, reject) => (d = { resolve, reject }));
  return { ...d, promise };
}

// Statements that change the database (what drizzle and our SQL send).
function isWrite(stmt: InStatement): boolean {
  const sql = typeof stmt === "string" ? stmt : stmt.sql;
  return /^\s*(insert|update|delete|replace|with)\b/i.test(sql);
}

// The transaction that the writes of the moment share, and who waits for its commit.
class Group {
  tx?: Transaction;
  private waiters: Deferred[] = [];
  private scheduled = false;
  private savepoints = 0;

  constructor(private readonly client: Client, private readonly turns: Turns) {}

  // Runs in a turn: the open transaction, opened if needed.
  async open(): Promise<Transaction> {
    // A failing statement can roll the whole transaction back (SQLITE_FULL, ...): then
    // the writes done in it are lost, and their callers are told.
    if (this.tx?.closed) this.lost(new Error("a failing statement rolled back shared writes"));
    this.tx ??= await this.client.transaction("write");
    return this.tx;
  }

  private lost(err: Error): void {
    const waiters = this.waiters;
    this.tx = undefined;
    this.waiters = [];
    this.savepoints = 0;
    for (const w of waiters) w.reject(err);
  }

  // No transaction open (the next write opens one).
  get idle(): boolean {
    return !this.tx || this.tx.closed;
  }

  // The transaction was rolled back by its only user (see firstTx).
  discard(): void {
    this.tx = undefined;
    this.savepoints = 0;
  }

  nextSavepoint(): string {
    return `pounce_sp${++this.savepoints}`;
  }

  // A write done in the open transaction: resolves once it commits.
  joined(): Promise<void> {
    const d = deferred();
    this.waiters.push(d);
    this.schedule();
    return d.promise;
  }

  // Commits once the turns queued so far (and the I/O of this loop pass) have run.
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.commitInTurn().catch(logFailure("group commit failed")));
  }

  private async commitInTurn(): Promise<void> {
    const release = await this.turns.take();
    this.scheduled = false;
    try {
      await this.commit();
    } finally {
      release();
    }
  }

  // Runs in a turn (or synchronously at close: the embedded driver commits at once).
  async commit(): Promise<void> {
    const tx = this.tx;
    const waiters = this.waiters;
    this.tx = undefined;
    this.waiters = [];
    this.savepoints = 0;
    if (!tx) return;
    try {
      await tx.commit();
      for (const w of waiters) w.resolve();
    } catch (err) {
      try {
        tx.close();
      } catch { /* already gone */ }
      for (const w of waiters) w.reject(err);
    }
  }
}

// A transaction of the caller, as a savepoint of the group's transaction. It holds the
// turn until it ends; its commit resolves when the group's does.
function savepointTx(group: Group, tx: Transaction, name: string, release: () => void) {
  const state = { done: false };
  const end = async (sql: string[]) => {
    if (state.done) throw new Error("transaction already ended");
    state.done = true;
    try {
      for (const s of sql) await tx.execute(s);
    } finally {
      release();
    }
  };
  return callerTx(tx, state, {
    commit: async () => {
      await end([`RELEASE ${name}`]);
      await group.joined();
    },
    rollback: () => end([`ROLLBACK TO ${name}`, `RELEASE ${name}`]),
  });
}

// A transaction of the caller that opened the group's transaction: nothing else is in it
// while it holds the turn, so it runs without a savepoint and its rollback rolls the group's
// transaction back. Once it commits, other writes join before the group commits.
function firstTx(group: Group, tx: Transaction, release: () => void) {
  const state = { done: false };
  const end = async (rollback: boolean) => {
    if (state.done) throw new Error("transaction already ended");
    state.done = true;
    try {
      if (rollback) {
        group.discard();
        await tx.rollback();
      }
    } finally {
      release();
    }
  };
  return callerTx(tx, state, {
    commit: async () => {
      await end(false);
      await group.joined();
    },
    rollback: () => end(true),
  });
}

// The caller's view of a transaction inside the group's: statements go to the group's
// transaction; ending it is the caller's `ends`. Closing it unended rolls it back.
function callerTx(
  tx: Transaction,
  state: { done: boolean },
  ends: { commit(): Promise<void>; rollback(): Promise<void> },
): Transaction {
  return {
    execute: (stmt: InStatement) => tx.execute(stmt),
    batch: async (stmts: InStatement[]) => {
      const out: ResultSet[] = [];
      for (const s of stmts) out.push(await tx.execute(s));
      return out;
    },
    executeMultiple: (sql: string) => tx.executeMultiple(sql),
    commit: ends.commit,
    rollback: ends.rollback,
    close: () => {
      if (!state.done) void ends.rollback().catch(() => {});
    },
    get closed() {
      return state.done;
    },
  } as unknown as Transaction;
}

function holdTurn(tx: Transaction, release: () => void): Transaction {
  let released = false;
  const done = () => {
    if (!released) {
      released = true;
      release();
    }
  };
  return new Proxy(tx, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === "commit" || prop === "rollback") {
        return async () => {
          try {
            return await (value as () => Promise<void>).call(target);
          } finally {
            done();
          }
        };
      }
      if (prop === "close") {
        return () => {
          try {
            (value as () => void).call(target);
          } finally {
            done();
          }
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export function serialize(client: Client, opts: { group?: boolean } = {}): Client {
  const turns = new Turns();
  const group = opts.group ? new Group(client, turns) : undefined;
  const inTurn =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      const release = await turns.take();
      try {
        return await fn(...args);
      } finally {
        release();
      }
    };
  // Whole-connection operations run outside a group: commit it first.
  const alone = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    inTurn(async (...args: A) => {
      await group?.commit();
      return fn(...args);
    });
  const execute = async (stmt: InStatement): Promise<ResultSet> => {
    if (!group) return inTurn((s: InStatement) => client.execute(s))(stmt);
    let joined: Promise<void> | undefined;
    const result = await inTurn(async () => {
      if (!group.tx && !isWrite(stmt)) return client.execute(stmt);
      const tx = await group.open();
      const r = await tx.execute(stmt);
      if (isWrite(stmt)) joined = group.joined();
      return r;
    })();
    if (joined) await joined;
    return result;
  };
  const wrapped: Partial<Client> = {
    execute: ((stmt: InStatement, args?: unknown) =>
      execute(
        typeof stmt === "string" && args !== undefined ? { sql: stmt, args: args as never } : stmt,
      )) as Client["execute"],
    batch: alone(client.batch.bind(client)) as Client["batch"],
    executeMultiple: alone(client.executeMultiple.bind(client)),
    migrate: alone(client.migrate.bind(client)),
    transaction: (async (mode?: TransactionMode) => {
      const release = await turns.take();
      try {
        if (!group) return holdTurn(await client.transaction(mode), release);
        const fresh = group.idle;
        const tx = await group.open();
        // The first in a group needs no savepoint: its rollback is the group's.
        if (fresh) return firstTx(group, tx, release);
        const name = group.nextSavepoint();
        await tx.execute(`SAVEPOINT ${name}`);
        return savepointTx(group, tx, name, release);
      } catch (err) {
        release();
        throw err;
      }
    }) as Client["transaction"],
    // The embedded driver runs COMMIT synchronously, so what is pending is committed.
    close: () => {
      group?.commit().catch(logFailure("commit at close failed"));
      client.close();
    },
  };
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop in wrapped) return wrapped[prop as keyof Client];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
