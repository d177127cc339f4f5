// Work that may run long on hostile input (a filter over a big event, a big manifest) runs
// here, in a worker thread, so that the event loop keeps serving everyone else. Jobs of
// one Offload run one at a time in its worker, each within a deadline: past it the worker
// is ended and a fresh one takes the next job.
import { Worker } from "node:worker_threads";
import { offloadWorker } from "../../runtime.ts";
import type { Jobs } from "./offload-worker.ts";

export class OffloadError extends Error {
  override name = "OffloadError";

  // Whether the job was refused or cut off for time, rather than failed.
  constructor(message: string, readonly overBudget = false) {
    super(message);
  }
}

type Kind = keyof Jobs;
type Pending<K extends Kind> = {
  input: Parameters<Jobs[K]>[0];
  resolve(out: ReturnType<Jobs[K]>): void;
  reject(err: Error): void;
};

export class Offload<K extends Kind> {
  private worker?: Worker;
  // A new worker takes no job until it says it is ready (loading it is not the job's time).
  private ready = false;
  private queue: Pending<K>[] = [];
  private running?: { job: Pending<K>; timer: ReturnType<typeof setTimeout> };
  private idleTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly kind: K,
    private readonly deadlineMs: number,
    // Jobs waiting past this many are refused at once (each holds a copy of its input).
    private readonly maxQueue = 64,
    // A worker with no job for this long is ended: an idle thread holds its own V8 heap
    // (tens of MB) for jobs that come rarely (a deploy, a filter over a huge event).
    private readonly idleMs = 10_000,
  ) {}

  // Whether a worker thread is up (or starting).
  get working(): boolean {
    return this.worker !== undefined;
  }

  run(input: Parameters<Jobs[K]>[0]): Promise<ReturnType<Jobs[K]>> {
    if (!offloadWorker()) {
      // Loaded on first use: the jobs import the CEL library, YAML and the manifest's schema.
      return import("./offload-worker.ts").then(({ jobs }) =>
        (jobs[this.kind] as (i: typeof input) => never)(input)
      );
    }
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(new OffloadError(`too busy (${this.maxQueue} jobs waiting)`, true));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.running) return;
    clearTimeout(this.idleTimer);
    if (!this.queue.length) {
      // An idle worker does not keep the process alive; one with work does.
      this.worker?.unref();
      if (this.worker) this.idleTimer = setTimeout(() => this.retire(), this.idleMs).unref();
      return;
    }
    const worker = this.worker ??= this.start();
    worker.ref();
    if (!this.ready) return;
    const job = this.queue.shift();
    if (!job) return;
    const timer = setTimeout(() => {
      this.stop(new OffloadError(`took longer than ${this.deadlineMs} ms`, true));
    }, this.deadlineMs);
    this.running = { job, timer };
    worker.postMessage({ kind: this.kind, input: job.input });
  }

  private start(): Worker {
    const { script, eval: isCode } = offloadWorker()!;
    const worker = new Worker(script(), { eval: isCode });
    this.ready = false;
    worker.on("message", (msg: { ready?: true; output?: ReturnType<Jobs[K]>; error?: string }) => {
      if (msg.ready) {
        this.ready = true;
        return this.next();
      }
      const running = this.finish();
      if (!running) return;
      if (msg.error !== undefined) running.job.reject(new OffloadError(msg.error));
      else running.job.resolve(msg.output!);
      this.next();
    });
    worker.on("error", (err) => this.stop(new OffloadError(`worker failed: ${err.message}`)));
    worker.on("exit", () => {
      if (this.worker === worker) this.stop(new OffloadError("worker exited"));
    });
    return worker;
  }

  private finish(): { job: Pending<K> } | undefined {
    const running = this.running;
    if (running) clearTimeout(running.timer);
    this.running = undefined;
    return running;
  }

  private retire(): void {
    if (this.running || this.queue.length) return;
    const worker = this.worker;
    this.worker = undefined;
    this.ready = false;
    void worker?.terminate();
  }

  // Ends the worker (and the job it runs, which fails with `err`); the next job starts a
  // new one.
  private stop(err: Error): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
    this.finish()?.job.reject(err);
    // A worker that could not even start fails what waits for it, rather than start again.
    if (!this.ready) { for (const job of this.queue.splice(0)) job.reject(err); }
    this.next();
  }
}
