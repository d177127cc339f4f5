// Session lifecycle: start a runner for a session, replace it when it dies (durable
// sessions resume by replay), record the final state, and resume what was running when
// the daemon stopped.
import type { RunnerLauncher } from "./runner-port.ts";
import type { CodeDirs } from "../projects/builds.ts";
import { now } from "../util/clock.ts";
import type { Db } from "../db/client.ts";
import type { SessionState } from "../db/schema.ts";
import { retireIfDrained } from "../projects/deployments.ts";
import { secretValues, sessionEnv } from "../projects/env.ts";
import { execOn, type Tx } from "../db/tx.ts";
import { type Fence, groupCommit } from "../db/group-commit.ts";
import { type Sealer, sealerFor } from "../projects/at-rest.ts";
import { Redactor } from "./redaction.ts";
import { log, logFailure } from "../util/log.ts";
import { leaseTakeover, sessionEnded, sessionStarted } from "../../observability/metrics.ts";
import { inSessionSpan, sessionFinished, traceFields } from "../../observability/tracing.ts";
import type { SecretBox } from "../projects/secrets.ts";
import { describeHibernatedWait, describeWait } from "./waits.ts";
import { dropFailedActivity } from "./journal.ts";
import { type RunOutcome, SessionRun } from "./run.ts";
import {
  insertedSession,
  LIVE_STATES,
  type NewSession,
  type NewSessionInput,
  newSessionRow,
  reopenFailed,
  type Session,
  type SessionLog,
  type Sessions,
} from "./rows.ts";
import type { SyscallDeps } from "./syscalls/index.ts";
import { sendSignal } from "./syscalls/signals.ts";
import type { Wakeups } from "./wakeups.ts";
import type { Leases } from "./leases.ts";
import { LeaseLost, sessionFence } from "./fence.ts";
import type { SessionStarter } from "../dispatcher.ts";

// A durable session whose runner keeps dying is given up after this many deaths in a row.
export const MAX_RUNS = 3;

export type SessionManagerDeps = {
  db: Db;
  sessions: Sessions;
  box: SecretBox;
  codeDirs: CodeDirs;
  launcher: RunnerLauncher;
  wakeups: Wakeups;
  limits: SyscallDeps["limits"];
  serviceUrl: () => string;
  // Durable sessions waiting longer than this release their runner (undefined: never).
  hibernateAfterMs?: number;
  leases: Leases;
  // A session still going this long after it started ends in error (undefined: never).
  sessionTimeoutMs?: number;
  oauth?: SyscallDeps["oauth"];
};

// A retry that cannot be: the session is not durable, has not failed, or failed outside
// an activity.
export class RetryRefused extends Error {}

export class SessionManager implements SessionStarter {
  private readonly active = new Map<string, Promise<void>>();
  private readonly runs = new Map<string, SessionRun>();
  // Hibernated sessions, with the timer that wakes them at their deadline.
  private readonly sleeping = new Map<string, ReturnType<typeof setTimeout> | undefined>();
  private closing = false;
  private maintenance?: ReturnType<typeof setInterval>;

  private readonly syscallDeps: SyscallDeps;

  constructor(private readonly deps: SessionManagerDeps) {
    this.syscallDeps = {
      db: deps.db,
      box: deps.box,
      wakeups: deps.wakeups,
      limits: deps.limits,
      oauth: deps.oauth,
      startSession: (id) => this.start(id),
    };
    deps.wakeups.onUnwatched = (id) => this.wakeInBackground(id);
  }

  // A new session's row, already leased to this node: inserted by the caller, it is then
  // started with startOwned (no claim to commit, no row to read back).
  ownedRow(input: NewSessionInput): NewSession {
    return {
      ...newSessionRow(input),
      owner: this.deps.leases.nodeId,
      leaseUntil: now() + this.deps.leases.ttlMs,
    };
  }

  // Starts a session inserted with a row from ownedRow, once that insert has committed.
  // `committed`: see SessionStarter.
  startOwned(row: NewSession, committed?: Promise<unknown>): void {
    committed?.catch(() => {}); // awaited in runOnce
    this.start(row.id!, insertedSession(row), committed);
  }

  // Drives a created (or interrupted) session to a final state, in the background.
  // `leased`: the session's row when this node holds its lease already (it created the
  // session leased to itself, or took it from hibernation).
  start(id: string, leased?: Session, committed?: Promise<unknown>): void {
    if (this.closing || this.active.has(id)) return;
    const driving = inSessionSpan(id, () => this.drive(id, leased, committed))
      .catch((err) => {
        if (!(err instanceof LeaseLost)) {
          log.error("session failed", { session: id, error: (err as Error).message });
          return;
        }
        log.warn("lease lost, leaving the session to another node", {
          session: id,
          error: err.message,
        });
        leaseTakeover("lost");
      })
      .finally(() => this.active.delete(id));
    this.active.set(id, driving);
  }

  // At start: resume what this node (or a dead one) left, watch hibernated sessions'
  // deadlines, and from then on renew this node's leases and adopt orphaned sessions.
  async recover(): Promise<void> {
    for (const s of await this.deps.sessions.inStates(LIVE_STATES)) {
      if (s.hibernated) this.sleepUntil(s.id, this.wakeTime(s, s.wakeAt));
    }
    await this.adoptOrphans();
    const every = Math.max(100, Math.floor(this.deps.leases.ttlMs / 3));
    this.maintenance = setInterval(
      () =>
        void this.maintain().catch((err) =>
          log.error("lease upkeep failed", { error: (err as Error).message })
        ),
      every,
    );
  }

  private async adoptOrphans(): Promise<void> {
    for (const id of await this.deps.leases.orphans()) this.start(id);
  }

  // Renews leases, gives up runs whose lease another node took, honours stop requests
  // made on other nodes, and adopts sessions whose node died.
  private async maintain(): Promise<void> {
    if (this.closing) return;
    // Only the runs live before the renewal: one that started while it committed holds a
    // lease the renewal's UPDATE did not see.
    const running = [...this.runs];
    const held = await this.deps.leases.renew();
    for (const [id, run] of running) {
      if (!held.has(id) && run.abandon()) {
        log.warn("lease lost, leaving the session to another node", { session: id });
        leaseTakeover("lost");
      }
    }
    for (const s of await this.deps.sessions.stopRequested(this.deps.leases.nodeId)) {
      void this.runs.get(s.id)?.requestStop(s.stopReason ?? "stopped");
    }
    await this.adoptOrphans();
  }

  // Retries a durable session that failed in an activity: the failed step is forgotten and
  // the session runs again, replaying every step before it and running that activity anew.
  async retry(id: string): Promise<{ step: number; activity: string }> {
    const s = await this.deps.sessions.get(id);
    if (!s) throw new RetryRefused(`session "${id}" not found`);
    if (!s.isDurable || s.state !== "error") {
      throw new RetryRefused(
        `session "${id}" is ${s.isDurable ? s.state : "not durable"}: only a durable session ` +
          "that ended in error can be retried from its failed step (restart runs it anew)",
      );
    }
    const dropped = await groupCommit(this.deps.db).write(async (tx) => {
      const step = await dropFailedActivity(tx, id);
      if (!step) return undefined;
      await reopenFailed(tx, id);
      return step;
    }, { isolated: true });
    if (!dropped) {
      throw new RetryRefused(
        `session "${id}" did not fail in an activity: there is no failed step to run again ` +
          "(restart runs it anew)",
      );
    }
    this.start(id);
    return { step: dropped.seq, activity: dropped.name };
  }

  // What a running session waits for, in words; null when it is not waiting (as far as
  // this node knows: a session another node runs shows only when hibernated).
  async waiting(s: Session): Promise<string | null> {
    if (s.state !== "running") return null;
    const wait = this.runs.get(s.id)?.wait;
    if (wait) return await describeWait(this.deps.db, wait);
    if (!s.hibernated) return null;
    return await describeHibernatedWait(this.deps.db, s.id, s.wakeAt ?? null);
  }

  // Asks the session to stop. Whoever holds the session logs the request (its log numbers
  // the record) and ends it: a run here at once, a run on another node at its next lease
  // renewal, this node's drive between runs when it next reads the row; a session nobody
  // holds (hibernated, not started, its node dead) is claimed here and ended by its drive.
  async stop(id: string, reason: string): Promise<boolean> {
    const s = await this.deps.sessions.get(id);
    if (!s || (s.state !== "created" && s.state !== "running")) return false;
    await this.deps.sessions.update(id, { stopReason: reason });
    this.unsleep(id);
    const run = this.runs.get(id);
    if (run) {
      await run.requestStop(reason);
      return true;
    }
    const ownedElsewhere = s.owner && s.owner !== this.deps.leases.nodeId &&
      (s.leaseUntil ?? 0) > now();
    if (ownedElsewhere || this.active.has(id)) return true;
    // Unless a node claims it first: that node ends it, or stops it at its next renewal.
    const woken = s.hibernated ? await this.deps.leases.claimHibernated(id) : undefined;
    if (s.hibernated && !woken) return true;
    this.start(id, woken);
    await this.active.get(id);
    return true;
  }

  // Hibernated sessions whose wake-up this node watches.
  get hibernated(): number {
    return this.sleeping.size;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.maintenance);
    for (const id of [...this.sleeping.keys()]) this.unsleep(id);
    // Runners are killed; their sessions stay "running" and resume at the next start.
    for (const run of this.runs.values()) run.stop("daemon shutting down");
    await Promise.allSettled(this.active.values());
  }

  // Every write of the session from here on commits under the claim's fence (fence.ts):
  // once another node claims the session, they fail with LeaseLost.
  private async drive(id: string, leased?: Session, committed?: Promise<unknown>): Promise<void> {
    let s = leased ?? await this.deps.leases.claimRow(id);
    if (!s) return;
    const epoch = s.leaseEpoch;
    const fence = sessionFence(s);
    if (!leased && s.state === "running") leaseTakeover("adopted");
    if (s.hibernated) {
      // Past its wake time, adopted from another node.
      await this.deps.sessions.update(id, { hibernated: false, wakeAt: null }, fence);
      s = { ...s, hibernated: false, wakeAt: null };
    }
    if (s.state === "running" && !s.isDurable && !this.runs.has(id) && !s.stopReason) {
      // A non-durable session cannot resume: its run died with its daemon. (One asked to
      // stop ends as asked, below.)
      await this.finish(
        s,
        "error",
        { error: "daemon restarted while the session was running" },
        fence,
      );
      return;
    }
    let deaths = 0;
    while (s && (s.state === "created" || s.state === "running") && !this.closing) {
      if (this.timeLeft(s) <= 0) {
        await this.finish(s, "error", { error: this.timeoutMessage() }, fence);
        return;
      }
      if (s.stopReason) {
        await this.finish(s, "stopped", { error: s.stopReason }, fence);
        return;
      }
      const ran: RunTrace = { subscribed: false };
      const outcome = await this.runOnce(s, fence, committed, ran);
      committed = undefined;
      s = await this.deps.sessions.current(s);
      // Claimed by another node meanwhile: its run, not this one, goes on.
      if (!s || this.closing || outcome.kind === "lost" || s.leaseEpoch !== epoch) return;
      // A session that ran before may have subscribed then; a stop asked meanwhile that the
      // run was not told of is logged at the end (see finish).
      const end = {
        log: ran.log,
        subscribed: !!ran.run?.subscribed || s.runs > 1,
        stopRequest: outcome.kind === "stopped" ? undefined : s.stopReason ?? undefined,
      };
      if (outcome.kind === "done") {
        await this.finish(
          s,
          outcome.error ? "error" : "completed",
          {
            error: outcome.error ?? null,
            returnDisplay: outcome.display ?? null,
            returnValue: outcome.value ? Buffer.from(outcome.value) : null,
          },
          fence,
          outcome.json,
          end,
        );
        return;
      }
      if (outcome.kind === "stopped") {
        await this.finish(s, "stopped", { error: outcome.reason }, fence, undefined, end);
        return;
      }
      if (outcome.kind === "hibernated") {
        if (await this.hibernate(s, outcome.wakeAt, outcome.epoch, fence)) return;
        continue;
      }
      if (!s.isDurable) {
        await this.finish(s, "error", { error: outcome.reason }, fence, undefined, end);
        return;
      }
      if (++deaths >= MAX_RUNS) {
        await this.finish(
          s,
          "error",
          { error: `${outcome.reason}; gave up after ${deaths} runs` },
          fence,
        );
        return;
      }
      log.warn("runner died, replaying session", { session: id, reason: outcome.reason });
    }
  }

  // Records that the session waits without a runner. False when a notification came in
  // meanwhile: then the caller runs it again at once.
  private async hibernate(
    s: Session,
    wakeAt: number | null,
    epoch: number,
    fence: Fence,
  ): Promise<boolean> {
    // Unowned while hibernated: any node may wake it.
    await this.deps.sessions.update(s.id, {
      hibernated: true,
      wakeAt,
      owner: null,
      leaseUntil: null,
    }, fence);
    if (this.deps.wakeups.epoch(s.id) !== epoch || this.closing) {
      // Taken back, unless a node woke it meanwhile: then that node runs it.
      try {
        await this.deps.sessions.update(s.id, { hibernated: false, wakeAt: null }, fence);
      } catch (err) {
        if (err instanceof LeaseLost) return true;
        throw err;
      }
      return this.closing;
    }
    this.sleepUntil(s.id, this.wakeTime(s, wakeAt));
    log.debug("session hibernated", { session: s.id, wake_at: wakeAt ?? "event" });
    return true;
  }

  private sleepUntil(id: string, wakeAt: number | null): void {
    const timer = wakeAt === null
      ? undefined
      : setTimeout(() => this.wakeInBackground(id), Math.max(0, wakeAt - now()));
    this.sleeping.set(id, timer);
  }

  private unsleep(id: string): boolean {
    if (!this.sleeping.has(id)) return false;
    clearTimeout(this.sleeping.get(id));
    this.sleeping.delete(id);
    return true;
  }

  private wakeInBackground(id: string): void {
    this.wake(id).catch(logFailure("waking a session failed", { session: id }));
  }

  // Resumes a hibernated session by replay; of several nodes woken at once, one wins.
  private async wake(id: string): Promise<void> {
    this.unsleep(id);
    if (this.closing) return;
    const row = await this.deps.leases.claimHibernated(id);
    if (row) this.start(id, row);
  }

  // Milliseconds until the session's timeout (--session-timeout), Infinity without one.
  private timeLeft(s: Session): number {
    const limit = this.deps.sessionTimeoutMs;
    return limit === undefined ? Infinity : (s.startedAt ?? now()) + limit - now();
  }

  private timeoutMessage(): string {
    return `session timed out after ${this.deps.sessionTimeoutMs! / 1000} s (--session-timeout)`;
  }

  // A hibernated session wakes at its deadline, or at its timeout if that comes first.
  private wakeTime(s: Session, wakeAt: number | null): number | null {
    const left = this.timeLeft(s);
    if (!Number.isFinite(left)) return wakeAt;
    return Math.min(wakeAt ?? Infinity, now() + left);
  }

  // `committed`: see SessionStarter (the run is set up, its runner taken, meanwhile).
  // `ran`: told the run's log and whether it subscribed.
  private async runOnce(
    s: Session,
    fence: Fence,
    committed: Promise<unknown> | undefined,
    ran: RunTrace,
  ): Promise<RunOutcome> {
    const { db, sessions, box, codeDirs, launcher } = this.deps;
    // A session that never ran has no journal and no prints, nor log records.
    const fresh = s.state === "created" && s.runs === 0;
    const sessionLog = fresh ? sessions.newLog(s, fence) : await sessions.openLog(s, fence);
    ran.log = sessionLog;
    const runs = s.runs + 1;
    // The runner is taken while "running" is written; it starts once that is committed.
    const launching = (async () => {
      const [codeDir, env] = await Promise.all([
        codeDirs.get(s.buildId),
        sessionEnv(db, box, s.projectId, this.deps.serviceUrl()),
      ]);
      return launcher.launch({ codeDir, env, durable: s.isDurable });
    })();
    if (fresh) sessionStarted(s.projectId);
    const reads = Promise.all([
      s.isDurable && !fresh ? sessions.journal(s.id) : [],
      fresh ? { workflow: 0, chars: 0 } : sessions.printed(s.id),
      secretValues(db, box, s.projectId),
    ]);
    // Awaited below; a failure before that must not count as unhandled.
    launching.catch(() => {});
    reads.catch(() => {});
    const marked = Promise.all([
      committed,
      sessions.markRunning(s, fence),
      // A later run (a replay after a restart, a runner's death or hibernation) is logged
      // too: the UI's timeline marks where the session resumed. Queued after the session's
      // insert (its records refer to it), so in the same commit as a new session's insert.
      (s.state !== "running" || runs > 1) &&
      sessionLog.append("state", { state: "running", run: runs, ...traceFields(s.id) }),
    ]);
    // A durable session starts without waiting for this commit (nor for the commit of its
    // own insert, `committed`): what its run writes queues behind them (on GroupCommit, in
    // order), so no step's result reaches it before they are on disk; a crash before they
    // commit leaves the session "created" (or never stored, and its event unanswered), to
    // run again by replay. If they fail, the run is abandoned and its runner killed. A
    // non-durable session must not run twice, so it starts only once "running" is on disk.
    let stored = true;
    committed?.catch(() => (stored = false));
    marked.catch(() => {});
    if (!s.isDurable) {
      try {
        await marked;
      } catch (err) {
        void launching.then((r) => r.kill(), () => {});
        throw err;
      }
    }
    let runner;
    try {
      runner = await launching;
    } catch (err) {
      return { kind: "died", reason: `could not start a runner: ${(err as Error).message}` };
    }
    let journal, printed, secrets;
    try {
      [journal, printed, secrets] = await reads;
    } catch (err) {
      runner.kill();
      throw err;
    }
    // Secret values never reach the session's log, error or return display.
    const redactor = Redactor.for(secrets);
    sessionLog.redactor = redactor;
    // What the session journals and stores is sealed when its project has secrets.
    const seal = sealerFor(box, secrets);
    const run = new SessionRun(
      db,
      s,
      sessionLog,
      runner,
      journal,
      this.syscallDeps,
      seal,
      this.deps.hibernateAfterMs,
    );
    this.runs.set(s.id, run);
    ran.run = run;
    marked.catch((err) => {
      if (err instanceof LeaseLost) return run.fencedOut(err);
      // A session whose insert failed was never stored: its run just ends.
      if (stored) {
        log.error("could not record the session as running", {
          session: s.id,
          error: (err as Error).message,
        });
      }
      run.abandon();
    });
    const left = this.timeLeft(s);
    const timeout = Number.isFinite(left)
      ? setTimeout(() => run.timeOut(this.timeoutMessage()), left)
      : undefined;
    const memo = (s.memo ?? {}) as Record<string, string>;
    try {
      const outcome = await run.start(
        {
          data: s.inputs,
          event_type: memo.event_type ?? null,
          event_id: s.eventId,
        },
        s.isDurable ? printed.workflow : 0,
        printed.chars,
      );
      return redactOutcome(outcome, redactor, seal);
    } finally {
      this.runs.delete(s.id);
      clearTimeout(timeout);
    }
  }

  // Under `fence`: the end is written only while the session is still this run's. `ran`:
  // the run that just ended, whose log goes on (no read of the last seq), whether the
  // session may have subscriptions to delete (it subscribed in that run, or ran before),
  // and a stop request it did not log; without it, the log is read, the subscriptions
  // deleted, and a stop request on the row logged (no run was told of it).
  private async finish(
    s: Session,
    state: SessionState,
    fields: EndFields,
    fence: Fence,
    value?: unknown,
    ran?: RunTrace,
  ): Promise<void> {
    const { db, sessions, box } = this.deps;
    const sessionLog = ran?.log ?? await sessions.openLog(s, fence);
    const subscribed = !ran || ran.subscribed;
    const stopRequest = ran ? ran.stopRequest : s.stopReason;
    // The child's sealer: its return value goes to the parent in the signal.
    const seal = s.parentId && s.isDurable
      ? sealerFor(box, await secretValues(db, box, s.projectId))
      : undefined;
    let logged: Promise<void> | undefined;
    const signalsParent = !!(s.parentId && s.isDurable);
    await groupCommit(db).write(async (tx) => {
      await endRow(tx, s.id, state, fields);
      if (subscribed) await execOn(tx)("DELETE FROM subscriptions WHERE session_id = ?", [s.id]);
      // A durable child's end signals its parent under the child's id.
      if (s.parentId && s.isDurable) {
        const completed = state === "completed";
        await sendSignal(
          tx,
          s.parentId,
          s.id,
          completed ? { completed, value: value ?? null } : { completed },
          seal!,
        );
      }
      // Queued, not awaited (that would wait for this write): the records are written
      // after it, in the same commit (what is queued while a batch runs joins it).
      if (stopRequest) sessionLog.append("stop_request", { reason: stopRequest }).catch(() => {});
      logged = sessionLog.append("state", {
        state,
        ...(fields.error ? { error: fields.error } : {}),
      });
      logged.catch(() => {});
      // Plain statements, but for the parent's signal (which may fail alone).
    }, { isolated: signalsParent, fence });
    this.deps.wakeups.forget(s.id);
    if (signalsParent) this.deps.wakeups.notify(s.parentId!);
    await logged;
    log.info("session ended", { session: s.id, state });
    sessionEnded(s.projectId, state, now() - s.createdAt);
    sessionFinished(s.id, s.projectId, state);
    if (s.deploymentId) await retireIfDrained(db, s.deploymentId);
  }
}

// What a run left for the session's end (see finish).
type RunTrace = { log?: SessionLog; run?: SessionRun; subscribed: boolean; stopRequest?: string };

type EndFields = {
  error?: string | null;
  returnDisplay?: string | null;
  returnValue?: Buffer | null;
};

// A session's final write, in plain SQL (see execOn): it runs for every session.
async function endRow(tx: Tx, id: string, state: SessionState, fields: EndFields): Promise<void> {
  const t = now();
  const set = [
    "state = ?",
    "hibernated = FALSE",
    "wake_at = NULL",
    "ended_at = ?",
    "updated_at = ?",
  ];
  const args: (string | number | Buffer | null)[] = [state, t, t];
  const given: [string, string | Buffer | null | undefined][] = [
    ["error", fields.error],
    ["return_display", fields.returnDisplay],
    ["return_value", fields.returnValue],
  ];
  for (const [column, value] of given) {
    if (value === undefined) continue;
    set.push(`${column} = ?`);
    args.push(value);
  }
  args.push(id);
  await execOn(tx)(`UPDATE sessions SET ${set.join(", ")} WHERE id = ?`, args);
}

// The texts of an outcome, masked; the returned value (the session's data, left as is)
// sealed as the session's journal is.
function redactOutcome(outcome: RunOutcome, redactor: Redactor, seal: Sealer): RunOutcome {
  if (outcome.kind === "done") {
    return {
      ...outcome,
      value: outcome.value && seal.bytes(outcome.value),
      error: outcome.error && redactor.text(outcome.error),
      display: outcome.display && redactor.text(outcome.display),
    };
  }
  if (outcome.kind === "died" || outcome.kind === "stopped") {
    return { ...outcome, reason: redactor.text(outcome.reason) };
  }
  return outcome;
}
