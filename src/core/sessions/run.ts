// One runner's conversation with the daemon for one session (docs/protocol.md): hands
// over the journal, starts the handler, records prints and durable steps, and reports
// how the run ended.
import {
  PROTOCOL_VERSION,
  type RunnerCall,
  type RunnerFrame,
  type RunnerPrint,
  type RunnerResult,
  type RunnerSleep,
  type RunnerSyscall,
} from "../../protocol/frames.gen.ts";
import { now } from "../util/clock.ts";
import type { Db } from "../db/client.ts";
import { failure, fault } from "../util/faults.ts";
import { log, logFailure } from "../util/log.ts";
import { activityCompleted, leaseTakeover } from "../../observability/metrics.ts";
import { activitySpan } from "../../observability/tracing.ts";
import type { LogRecordType } from "../db/schema.ts";
import type { Session, SessionLog } from "./rows.ts";
import {
  completeStep,
  type JournalStep,
  recordActivity,
  recordSleep,
  replayFrames,
  sleepStep,
} from "./journal.ts";
import { describeExit, type Runner } from "./runner-port.ts";
import { LeaseLost } from "./fence.ts";
import type { Sealer } from "../projects/at-rest.ts";
import { journalFailure } from "./syscalls/context.ts";
import { describeWait, type Wait } from "./waits.ts";
import { type SyscallDeps, SyscallError, syscalls } from "./syscalls/index.ts";

export type RunOutcome =
  | { kind: "done"; error?: string; display?: string; value?: Uint8Array; json?: unknown }
  | { kind: "died"; reason: string }
  | { kind: "stopped"; reason: string }
  // Waited longer than the hibernation threshold: the runner is gone, the session resumes
  // by replay at wakeAt or when notified (epoch: notifications seen when the wait began).
  | { kind: "hibernated"; wakeAt: number | null; epoch: number }
  // Another node took the session over (this node lost its lease).
  | { kind: "lost" };

// Prints are cut at MAX_PRINT_CHARS, and a session logs at most MAX_SESSION_PRINT_CHARS of
// them; later ones are dropped, after one notice.
export const MAX_PRINT_CHARS = 64 * 1024;
export const MAX_SESSION_PRINT_CHARS = 8 * 1024 * 1024;

export type StartEvent = { data: unknown; event_type: string | null; event_id: string | null };

// How long a runner that sent `done` has to exit by itself (see killUnlessExited).
const DONE_EXIT_GRACE_MS = 2000;

// Why a run's syscalls are aborted: one reason for all (an abort without one makes a
// DOMException, with its stack, at every run's end).
const RUN_ENDED = new Error("the session's run ended");

export class SessionRun {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  // Aborted when the run ends; made at the first syscall that needs it (most runs make none).
  private aborted?: AbortController;
  private hibernation?: ReturnType<typeof setTimeout>;
  private waitIdle = false;
  // What the run waits for now (session get/list show it), and whether its `wait` record
  // is logged (once, when the wait first goes idle).
  private currentWait?: Wait & { logged: boolean };
  private hibernationDue?: RunOutcome;
  private finish!: (outcome: RunOutcome) => void;
  readonly outcome: Promise<RunOutcome>;
  private ended = false;
  // A write queued lazily that the runner did not wait for (an outcome): it commits when
  // the runner's next frame comes, if no other write takes it along first.
  private lazyUnawaited = false;
  private printedChars = 0;
  // Activities whose `call` came before their result, by seq.
  private readonly calls = new Map<number, { args: unknown; kwargs: unknown; startedAt: number }>();

  constructor(
    private readonly db: Db,
    private readonly session: Session,
    private readonly log: SessionLog,
    private readonly runner: Runner,
    private readonly journal: JournalStep[],
    private readonly deps: SyscallDeps,
    // Seals what the session journals and stores (at-rest.ts).
    private readonly seal: Sealer,
    // Durable sessions waiting longer than this give their runner back (undefined: never).
    private readonly hibernateAfterMs?: number,
  ) {
    this.outcome = new Promise((resolve) => (this.finish = resolve));
  }

  // `printed`: prints made outside activities that earlier runs logged (durable replay);
  // `printedChars`: how much all its earlier prints logged.
  start(event: StartEvent, printed = 0, printedChars = 0): Promise<RunOutcome> {
    this.printedChars = printedChars;
    const { socket } = this.runner;
    socket.onFrame((frame) =>
      this.onFrame(frame).catch((err) =>
        err instanceof LeaseLost
          ? this.fencedOut(err)
          : this.end({ kind: "died", reason: `daemon error: ${err.message}` })
      )
    );
    socket.onClose(() => {
      if (this.ended) return;
      this.runner.exited.then((exit) =>
        this.end({ kind: "died", reason: `runner exited (${describeExit(exit)})` })
      ).catch(logFailure("ending a run failed", { session: this.session.id }));
    });
    if (this.session.isDurable) this.sendJournal();
    socket.send({
      t: "start",
      protocol: PROTOCOL_VERSION,
      session_id: this.session.id,
      entrypoint: this.session.entrypoint,
      durable: this.session.isDurable,
      event,
      ...(this.session.isDurable ? { printed } : {}),
    });
    fault("session.started");
    return this.outcome;
  }

  // Another node took the session over: this run ends, writing nothing more. False when
  // it had ended already.
  // Whether this run asked to subscribe (its end deletes the session's subscriptions).
  subscribed = false;

  abandon(): boolean {
    if (this.ended) return false;
    this.end({ kind: "lost" });
    return true;
  }

  // A write of this run was refused by its fence (fence.ts): the lease is another node's.
  fencedOut(err: LeaseLost): void {
    if (!this.abandon()) return;
    log.warn("lease lost, leaving the session to another node", {
      session: this.session.id,
      error: err.message,
    });
    leaseTakeover("lost");
  }

  // The session ran out of time: it ends in error with `message`.
  timeOut(message: string): void {
    this.runner.socket.send({ t: "stop", reason: message });
    this.end({ kind: "done", error: message });
  }

  stop(reason: string): void {
    this.runner.socket.send({ t: "stop", reason });
    this.end({ kind: "stopped", reason });
  }

  // A stop someone asked for: its `stop_request` record goes in this run's log, numbered
  // after every record the run queued, and the run stops. Resolves once the record is
  // written (or failed to be: the run's end is what follows); at once if the run has ended.
  requestStop(reason: string): Promise<void> {
    if (this.ended) return Promise.resolve();
    const logged = this.log.append("stop_request", { reason }).catch(() => {});
    this.stop(reason);
    return logged;
  }

  // The recorded steps in as few `journal` frames as fit (docs/protocol.md, "Replay").
  private sendJournal(): void {
    for (const { steps, blobs } of replayFrames(this.journal)) {
      this.runner.socket.send({ t: "journal", steps }, blobs);
    }
  }

  private end(outcome: RunOutcome): void {
    if (this.ended) return;
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.waitEnded();
    this.aborted?.abort(RUN_ENDED);
    if (outcome.kind === "done") this.killUnlessExited();
    else this.runner.kill();
    // Whatever was queued for the log is written before the outcome is acted on; at the
    // handler's return, what is queued lazily (its last prints, its outcome) commits with
    // the session's end instead (queued after it, in the same or a later commit).
    const written = outcome.kind === "done" ? this.log.eagerWritten() : this.log.flushed();
    written.then(() => this.finish(outcome))
      .catch(logFailure("ending a run failed", { session: this.session.id }));
  }

  // A runner exits by itself once it has sent `done`; it is killed (with what it started)
  // when it has, and only told to die if it has not within DONE_EXIT_GRACE_MS (a `done`
  // that session code forged). Sparing the kill message in the common case spares the fork
  // server a frame per session.
  private killUnlessExited(): void {
    const timer = setTimeout(() => this.runner.kill(), DONE_EXIT_GRACE_MS);
    this.runner.exited.finally(() => {
      clearTimeout(timer);
      this.runner.kill();
    }).catch(() => {});
  }

  private async onFrame(
    { header: h, blob }: { header: RunnerFrame; blob?: Uint8Array },
  ): Promise<void> {
    // What a runner sent after its run ended (stopped, timed out, lost: it is being killed)
    // is not the session's: its end is the log's last record.
    if (this.ended) return;
    if (this.lazyUnawaited && h.t !== "done") {
      this.lazyUnawaited = false;
      this.log.flushLazy();
    }
    switch (h.t) {
      case "print":
        await this.onPrint(h);
        return;
      case "call":
        return this.onCall(h);
      case "result":
        return this.onResult(h, blob);
      case "sleep":
        return this.onSleep(h);
      case "syscall":
        return this.onSyscall(h);
      case "done":
        this.end({
          kind: "done",
          error: typeof h.error === "string" ? h.error : undefined,
          display: typeof h.display === "string" ? h.display : undefined,
          value: blob,
          json: h.value,
        });
        return;
      default: {
        // A frame this daemon does not know (`hello` again, or one session code forged).
        const other: { t: unknown; id?: number } = h;
        this.runner.socket.send({
          t: "fail",
          id: other.id ?? null,
          error: `unknown message type "${other.t}"`,
        });
      }
    }
  }

  private async onPrint(h: RunnerPrint): Promise<void> {
    if (this.printedChars >= MAX_SESSION_PRINT_CHARS) return;
    let text = String(h.text ?? "");
    if (text.length > MAX_PRINT_CHARS) text = text.slice(0, MAX_PRINT_CHARS) + " ... (cut)";
    const room = MAX_SESSION_PRINT_CHARS - this.printedChars;
    if (text.length > room) {
      // Cut to fill the limit exactly, so that a replay counts it as reached.
      text = text.slice(0, room) + "\n" +
        `pounce: this session printed ${MAX_SESSION_PRINT_CHARS} characters, the most it ` +
        "may; later prints are dropped";
    }
    this.printedChars += Math.min(text.length, room);
    await this.log.append(
      "print",
      typeof h.seq === "number" ? { text, call_seq: h.seq } : { text },
    );
  }

  // Only activities still running after a while send `call` (docs/protocol.md); the step
  // itself is written once, with its result.
  private async onCall(h: RunnerCall): Promise<void> {
    const seq = h.seq;
    const call = { args: h.args ?? [], kwargs: h.kwargs ?? {}, startedAt: now() };
    this.calls.set(seq, call);
    await Promise.all([
      this.log.append("call_spec", { function: h.name, args: call.args, kwargs: call.kwargs, seq }),
      this.log.append("call_attempt_start", { seq, attempt: 1 }),
    ]);
  }

  private async onResult(h: RunnerResult, blob: Uint8Array | undefined): Promise<void> {
    const seq = h.seq;
    const error = h.error === true;
    const completedAt = now();
    const records: [LogRecordType, Record<string, unknown>, number?][] = [];
    let call = this.calls.get(seq);
    this.calls.delete(seq);
    if (!call) {
      // A quick activity: its result carries the call.
      const ms = typeof h.ms === "number" && h.ms > 0 ? Math.round(h.ms) : 0;
      call = { args: h.args ?? [], kwargs: h.kwargs ?? {}, startedAt: completedAt - ms };
      records.push(
        [
          "call_spec",
          { function: h.name, args: call.args, kwargs: call.kwargs, seq },
          call.startedAt,
        ],
        ["call_attempt_start", { seq, attempt: 1 }, call.startedAt],
      );
    }
    records.push(["call_attempt_complete", {
      seq,
      is_last: true,
      error,
      result: h.display ?? null,
    }, completedAt]);
    fault("activity.before_commit");
    await this.log.writeWithRecords(
      (tx) =>
        recordActivity(tx, {
          sessionId: this.session.id,
          seq,
          name: String(h.name),
          args: { args: call.args, kwargs: call.kwargs },
          startedAt: call.startedAt,
          result: blob ?? null,
          error,
          display: String(h.display ?? ""),
          completedAt,
        }, this.seal),
      records,
      false,
      () => {
        fault("activity.after_commit");
        this.runner.socket.send({ t: "ok", id: h.id });
      },
    );
    activityCompleted(error, completedAt - call.startedAt);
    activitySpan(this.session.id, String(h.name), call.startedAt, completedAt, error);
  }

  // `idle`: a sleep is idle throughout; a waiting syscall says when it is (waitIdleChanged).
  get wait(): Wait | undefined {
    return this.currentWait;
  }

  private waitStarted(deadline: number | null, idle: boolean, wait: Omit<Wait, "until">): void {
    this.currentWait = { ...wait, until: deadline, logged: false };
    if (idle) this.logWait();
    this.waitIdle = idle;
    const after = this.hibernateAfterMs;
    if (!this.session.isDurable || after === undefined) return;
    if (deadline !== null && deadline - now() <= after) return;
    const epoch = this.deps.wakeups.epoch(this.session.id);
    this.hibernation = setTimeout(
      () => this.hibernateWhenIdle({ kind: "hibernated", wakeAt: deadline, epoch }),
      after,
    );
  }

  // A look in flight may take what the session waits for (and journal it): hibernating
  // then would leave that answer to a runner that is gone, and nothing would wake the
  // session again. So the run ends only once the wait is idle.
  private hibernateWhenIdle(outcome: RunOutcome): void {
    if (this.waitIdle) this.end(outcome);
    else this.hibernationDue = outcome;
  }

  private logWait(): void {
    const w = this.currentWait;
    if (!w || w.logged) return;
    w.logged = true;
    describeWait(this.deps.db, w).then((text) => {
      if (this.currentWait === w) this.log.append("wait", { text });
    }).catch(logFailure("describing a wait failed"));
  }

  private waitIdleChanged(idle: boolean): void {
    if (idle) this.logWait();
    this.waitIdle = idle;
    const due = this.hibernationDue;
    if (idle && due) {
      this.hibernationDue = undefined;
      this.end(due);
    }
  }

  private waitEnded(): void {
    this.currentWait = undefined;
    clearTimeout(this.hibernation);
    this.hibernation = undefined;
    this.hibernationDue = undefined;
    this.waitIdle = false;
  }

  private abortSignal(): AbortSignal {
    this.aborted ??= new AbortController();
    if (this.ended) this.aborted.abort(RUN_ENDED);
    return this.aborted.signal;
  }

  private async onSyscall(h: RunnerSyscall): Promise<void> {
    const op = String(h.op);
    if (op === "subscribe") this.subscribed = true;
    const handler = syscalls[op];
    const abortSignal = () => this.abortSignal();
    const ctx = {
      deps: this.deps,
      session: this.session,
      log: this.log,
      seal: this.seal,
      op,
      seq: typeof h.seq === "number" ? h.seq : undefined,
      // Made only for a call that looks at it.
      get signal() {
        return abortSignal();
      },
      unawaited: (written: Promise<unknown>) => {
        this.lazyUnawaited = true;
        written.catch((err: Error) => {
          if (err instanceof LeaseLost) return this.fencedOut(err);
          this.end({ kind: "died", reason: `daemon error: ${err.message}` });
        });
      },
      waiting: (deadline: number | null) =>
        this.waitStarted(deadline, false, { op, subscriptionIds: subscriptionIds(h.args) }),
      idle: (idle: boolean) => this.waitIdleChanged(idle),
    };
    try {
      if (!handler) throw new SyscallError(`unknown operation`);
      const value = await handler(ctx, h.args ?? {});
      this.runner.socket.send({ t: "ok", id: h.id, value: value ?? null });
    } catch (err) {
      if (this.ended) return;
      if (!(err instanceof SyscallError)) throw err;
      await journalFailure(ctx, err.message);
      this.runner.socket.send({ t: "fail", id: h.id, error: err.message });
    } finally {
      this.waitEnded();
    }
  }

  private async onSleep(h: RunnerSleep): Promise<void> {
    const seq = h.seq;
    let step = this.journal.find((s) => s.seq === seq && s.kind === "sleep");
    if (!step) {
      const sleep = sleepStep(this.session.id, seq, now() + Number(h.ms ?? 0));
      await this.log.write((tx) => recordSleep(tx, sleep));
      step = sleep;
    }
    fault("sleep");
    this.waitStarted(step.deadline, true, { op: "sleep", subscriptionIds: [] });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.waitEnded();
      this.log.write((tx) => {
        failure("sleep.complete");
        return completeStep(tx, this.session.id, seq);
      }).then(() => this.runner.socket.send({ t: "ok", id: h.id })).catch((err: Error) => {
        if (err instanceof LeaseLost) return this.fencedOut(err);
        // The runner waits for an answer that will not come: this run ends (a durable
        // session replays; its sleep is over then).
        log.error("ending a sleep failed", { session: this.session.id, error: err.message });
        this.end({ kind: "died", reason: `daemon error: ${err.message}` });
      });
    }, Math.max(0, step.deadline! - now()));
    this.timers.add(timer);
  }
}

// next_event's subscription ids (`ids`: one id or a list).
function subscriptionIds(args: Record<string, unknown> | undefined): string[] {
  const ids = args?.ids;
  return (Array.isArray(ids) ? ids : [ids]).filter((id): id is string => typeof id === "string");
}
