// libSQL's embedded driver is synchronous: a connection that waits for a lock held by
// another connection of the same process blocks the event loop, so the holder can never
// finish (a deadlock until the busy timeout). So every statement goes through one
// connection, one at a time, and an open transaction holds that turn until it commits,
// rolls back or closes. Code inside a transaction must use the transaction, not the client.
import type { Client, Transaction, TransactionMode } from "@libsql/client";

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

export function serialize(client: Client): Client {
  const turns = new Turns();
  const inTurn =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      const release = await turns.take();
      try {
        return await fn(...args);
      } finally {
        release();
      }
    };
  const wrapped: Partial<Client> = {
    execute: inTurn(client.execute.bind(client)) as Client["execute"],
    batch: inTurn(client.batch.bind(client)) as Client["batch"],
    executeMultiple: inTurn(client.executeMultiple.bind(client)),
    migrate: inTurn(client.migrate.bind(client)),
    transaction: (async (mode?: TransactionMode) => {
      const release = await turns.take();
      try {
        return holdTurn(await client.transaction(mode), release);
      } catch (err) {
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
