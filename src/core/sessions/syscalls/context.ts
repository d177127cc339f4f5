// What a syscall handler gets, and how its result becomes a durable step: the effect
// and the journal row commit in one transaction, so a replay never repeats the effect.
// Both commit under the run's fence (the session's log's: ../fence.ts), so a node that
// lost the session's lease makes neither.
import { now } from "../../util/clock.ts";
import type { Sealer } from "../../projects/at-rest.ts";
import type { Db } from "../../db/client.ts";
import type { Tx } from "../../db/tx.ts";
import { delay } from "../../util/faults.ts";
import type { SecretBox } from "../../projects/secrets.ts";
import { groupCommit } from "../../db/group-commit.ts";
import { pendingDeadline, recordCall, recordCallFailure, recordPendingCall } from "../journal.ts";
import type { Session, SessionLog } from "../rows.ts";
import type { Wakeups } from "../wakeups.ts";

export class SyscallError extends Error {}

export type SyscallDeps = {
  db: Db;
  // Opens what sessions sealed (at-rest.ts).
  box: SecretBox;
  wakeups: Wakeups;
  // Starts a session row that was just committed.
  startSession(id: string): void;
  limits: { storeValueBytes: number; storeKeys: number };
  // Fresh OAuth tokens for connections (the daemon's refresher); absent: none.
  oauth?: OAuthRefresh;
};

export type OAuthRefresh = {
  refresh(
    projectId: string,
    integration: string,
    connection: string,
  ): Promise<{ token: string; expiry: string | null }>;
};

export type SyscallContext = {
  deps: SyscallDeps;
  session: Session;
  log: SessionLog;
  // Seals what the session journals and stores (at-rest.ts).
  seal: Sealer;
  op: string;
  // The durable step number, when the call is journaled.
  seq?: number;
  // Aborted when the run ends (session finished, stopped, runner gone, hibernated).
  readonly signal: AbortSignal;
  // A write the call's answer does not wait for: if it fails, the run ends as if the call
  // had failed that way.
  unawaited(written: Promise<unknown>): void;
  // Told when a durable call starts to wait, and until when (null: no deadline).
  waiting?: (deadline: number | null) => void;
  // Whether a waiting call is idle (waiting to be woken) or looking: a session hibernates
  // only while idle, since what a look takes is journaled and answered by this runner.
  idle?: (idle: boolean) => void;
};

// Journals a durable call's result (none for a call that is not durable).
function journal(tx: Tx, ctx: SyscallContext, value: unknown): Promise<unknown> | undefined {
  if (ctx.seq === undefined) return;
  return recordCall(tx, ctx.session.id, ctx.seq, ctx.op, value, ctx.seal);
}

// A failed durable call is journaled too, so a replay raises the same error.
export async function journalFailure(ctx: SyscallContext, message: string): Promise<void> {
  const seq = ctx.seq;
  if (seq === undefined) return;
  await groupCommit(ctx.deps.db).write(
    (tx) => recordCallFailure(tx, ctx.session.id, seq, ctx.op, message, ctx.seal),
    { fence: ctx.log.fence },
  );
}

// Journals a call whose effect is log records (its result: `value`): the records and the
// journal row in one entry of one commit, so nothing waits for a commit of its own.
// `lazy`: see db/group-commit.ts.
export function journalWithRecords(
  ctx: SyscallContext,
  value: unknown,
  records: Parameters<SessionLog["writeWithRecords"]>[1],
  lazy = false,
): Promise<void> {
  return ctx.log.writeWithRecords(
    async (tx) => {
      await journal(tx, ctx, value);
    },
    records,
    lazy,
  );
}

// Runs the effect and journals its result in one transaction (shared with other
// sessions' writes: db/group-commit.ts).
export function commit<T>(ctx: SyscallContext, effect: (tx: Tx) => Promise<T>): Promise<T> {
  return groupCommit(ctx.deps.db).write(async (tx) => {
    const value = await effect(tx);
    await journal(tx, ctx, value);
    return value;
  }, { isolated: true, fence: ctx.log.fence });
}

// The deadline of a waiting call; recorded with the pending step so that a replay after
// a crash waits only for what is left. A new pending step is written by `record`, in the
// first look's transaction (one commit, not two; until it commits the call has no step,
// and a replay would make it anew).
async function deadlineOf(
  ctx: SyscallContext,
  timeoutMs: number | null,
): Promise<{ deadline: number | null; record?: (tx: Tx) => Promise<void> }> {
  if (ctx.seq === undefined) return { deadline: timeoutMs === null ? null : now() + timeoutMs };
  const seq = ctx.seq;
  const pending = await pendingDeadline(ctx.deps.db, ctx.session.id, seq);
  if (pending) return pending;
  const deadline = timeoutMs === null ? null : now() + timeoutMs;
  const record = (tx: Tx) => recordPendingCall(tx, ctx.session.id, seq, ctx.op, deadline);
  return { deadline, record };
}

// Waits until `take` finds something (taken and journaled in one transaction) or the
// deadline passes (null is journaled).
export async function waitFor<T>(
  ctx: SyscallContext,
  timeoutMs: number | null,
  take: (tx: Tx) => Promise<T | undefined>,
): Promise<T | null> {
  let { deadline, record } = await deadlineOf(ctx, timeoutMs);
  if (ctx.seq !== undefined) ctx.waiting?.(deadline);
  for (;;) {
    if (ctx.signal.aborted) throw new SyscallError("the session ended while waiting");
    // Look again every so often: another daemon on the same database may store events and
    // signals this one is not told about (wakeups.ts).
    const recheck = now() + ctx.deps.wakeups.recheckMs;
    const armed = ctx.deps.wakeups.arm(
      ctx.session.id,
      deadline === null ? recheck : Math.min(deadline, recheck),
      ctx.signal,
    );
    ctx.idle?.(false);
    const found = await look(ctx, take, record);
    record = undefined;
    if (found !== undefined) {
      armed.cancel();
      return found;
    }
    if (deadline !== null && now() >= deadline) {
      armed.cancel();
      return commit(ctx, () => Promise.resolve(null));
    }
    ctx.idle?.(true);
    await armed.woken;
  }
}

// What a look takes is journaled with it; an empty one journals nothing but keeps what
// `take` wrote (a subscription's cursor moved past events that do not match) and the
// pending step (`record`).
function look<T>(
  ctx: SyscallContext,
  take: (tx: Tx) => Promise<T | undefined>,
  record?: (tx: Tx) => Promise<void>,
) {
  return groupCommit(ctx.deps.db).write(async (tx) => {
    await record?.(tx);
    await delay("wait.look");
    const value = await take(tx);
    if (value !== undefined) await journal(tx, ctx, value);
    return value;
  }, { isolated: true, fence: ctx.log.fence });
}

export function timeoutArg(value: unknown): number | null {
  if (value === null || value === undefined || value === 0) return null;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new SyscallError("timeout must be a number of milliseconds");
  }
  return value;
}

export function stringArg(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== "string") throw new SyscallError(`${name} must be a string`);
  return value;
}
