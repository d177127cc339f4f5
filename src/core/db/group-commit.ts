// Group commit: the journal and log writes of concurrent sessions share transactions, so
// that one commit (one fsync in `--durability fsync`) carries many of them. A write's
// promise resolves after the transaction that holds it has committed, so a step's result
// is still on disk before Python sees it. Writes run in the order they were queued; each
// one in a batch runs in its own savepoint, so a failing write fails alone.
//
// A write must use only the transaction it is given (see serialized.ts) and must not
// queue another write and wait for it (that would wait for its own batch).
import type { Db } from "./client.ts";

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Write<T> = (tx: Tx) => Promise<T>;

type Pending = {
  write: Write<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
};

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

// A batch is cut at this many writes; the rest go in the next transaction.
const MAX_BATCH = 512;

export class GroupCommit {
  private queue: Pending[] = [];
  private flushing = false;
  // Writes and transactions so far (for benchmarks and tests).
  readonly stats = { writes: 0, commits: 0 };

  constructor(private readonly db: Db) {}

  write<T>(write: Write<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        queueMicrotask(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length) await this.commitBatch();
    } finally {
      this.flushing = false;
    }
  }

  private async commitBatch(): Promise<void> {
    let batch: Pending[] = [];
    const settled: Settled[] = [];
    try {
      await this.db.transaction(async (tx) => {
        // Taken once the transaction holds the connection: what queued meanwhile joins.
        batch = this.queue.splice(0, MAX_BATCH);
        if (batch.length === 1) {
          settled.push({ ok: true, value: await batch[0].write(tx) });
          return;
        }
        for (const p of batch) {
          try {
            settled.push({ ok: true, value: await tx.transaction((sp) => p.write(sp)) });
          } catch (error) {
            settled.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // BEGIN or COMMIT failed, or the only write did: nothing of the batch is written.
      if (!batch.length) batch = this.queue.splice(0, MAX_BATCH);
      for (const p of batch) p.reject(error);
      return;
    }
    this.stats.writes += batch.length;
    this.stats.commits++;
    batch.forEach((p, i) => {
      const s = settled[i];
      if (s.ok) p.resolve(s.value);
      else p.reject(s.error);
    });
  }
}

const instances = new WeakMap<Db, GroupCommit>();

// The group committer of a database handle (one per handle, so all its users share it).
export function groupCommit(db: Db): GroupCommit {
  let gc = instances.get(db);
  if (!gc) {
    gc = new GroupCommit(db);
    instances.set(db, gc);
  }
  return gc;
}
