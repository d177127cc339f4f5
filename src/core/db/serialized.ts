// Turn-taking on the database connection. libSQL's embedded driver is synchronous: a
// connection that waits for a lock held by another connection of the same process blocks
// the event loop, so the holder can never finish (a deadlock until the busy timeout). So
// every statement goes through one client, one at a time, and an open transaction holds
// that turn until it commits, rolls back or closes. Code inside a transaction must use the
// transaction, not the client.
//
// Writes are explicit: they run in a transaction (`db.transaction`, or a write queued on
// GroupCommit, which batches concurrent writes into shared commits: group-commit.ts). With
// `writesInTransactions` (the embedded database) everything but a write transaction runs
// on a connection that is `PRAGMA query_only`, so SQLite itself refuses a write statement
// run on the client (embedded.ts).
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

  // Resolves with a release function when it is the caller's turn.
  take(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const turn = this.tail.then(() => this.breathe()).then(() => release);
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

export class WriteOutsideTransactionError extends Error {
  constructor(cause: unknown) {
    super(
      "a write statement outside a transaction was refused: write through " +
        "groupCommit(db).write or db.transaction (src/core/db/serialized.ts)",
      { cause },
    );
  }
}

function isReadOnlyRefusal(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === "SQLITE_READONLY";
}

// Holds the turn until the transaction ends, then runs `ended` (which may be async) and
// gives the turn back.
function holdTurn(tx: Transaction, ended: () => Promise<unknown>, release: () => void) {
  let released = false;
  const done = () => {
    if (released) return;
    released = true;
    ended().catch(logFailure("ending a transaction failed")).finally(release);
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

export function serialize(client: Client, opts: { writesInTransactions?: boolean } = {}): Client {
  const turns = new Turns();
  const guard = opts.writesInTransactions ?? false;
  // The embedded client refuses such writes itself: a second connection, read-only for good,
  // runs everything but write transactions.
  const own = (client as { guardWrites?: () => void }).guardWrites;
  const queryOnly = async (on: boolean): Promise<void> => {
    if (guard && !own) await client.execute(`PRAGMA query_only = ${on ? "ON" : "OFF"}`);
  };
  // Writing is allowed for the length of a transaction that may write.
  const writing = async <T>(mode: TransactionMode | undefined, fn: () => Promise<T>) => {
    if (mode === "read") return fn();
    await queryOnly(false);
    try {
      return await fn();
    } finally {
      await queryOnly(true);
    }
  };
  const inTurn =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      const release = await turns.take();
      try {
        return await fn(...args);
      } finally {
        release();
      }
    };
  const plain = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    inTurn(async (...args: A) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw guard && isReadOnlyRefusal(err) ? new WriteOutsideTransactionError(err) : err;
      }
    });
  if (guard) {
    void inTurn(() => own ? Promise.resolve(own()) : queryOnly(true))()
      .catch(logFailure("PRAGMA query_only failed"));
  }
  const wrapped: Partial<Client> = {
    execute: plain((stmt: InStatement, args?: unknown): Promise<ResultSet> =>
      client.execute(
        typeof stmt === "string" && args !== undefined ? { sql: stmt, args: args as never } : stmt,
      )
    ) as Client["execute"],
    executeMultiple: plain((sql: string) => client.executeMultiple(sql)),
    // Each is a transaction of its own.
    batch: inTurn((stmts: InStatement[], mode?: TransactionMode) =>
      writing(mode, () => client.batch(stmts, mode))
    ) as Client["batch"],
    migrate: inTurn((stmts: InStatement[]) => writing("write", () => client.migrate(stmts))),
    transaction: (async (mode?: TransactionMode) => {
      const release = await turns.take();
      const mayWrite = guard && mode !== "read";
      try {
        if (mayWrite) await queryOnly(false);
        const tx = await client.transaction(mode);
        return holdTurn(tx, () => mayWrite ? queryOnly(true) : Promise.resolve(), release);
      } catch (err) {
        if (mayWrite) await queryOnly(true).catch(logFailure("PRAGMA query_only failed"));
        release();
        throw err;
      }
    }) as Client["transaction"],
  };
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop in wrapped) return wrapped[prop as keyof Client];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
