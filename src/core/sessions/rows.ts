// Session rows (building a new one, reading and updating them, live and final states)
// and their log records.
import { and, asc, desc, eq, gt, inArray, isNotNull, max, type SQL, sql } from "drizzle-orm";
import { now } from "../util/clock.ts";
import { type Db, foreignKeysEnforced } from "../db/client.ts";
import { deleteSessionChildren } from "./delete.ts";
import { type LogRecordType, sessionLogs, sessions, type SessionState } from "../db/schema.ts";
import type { LogBus } from "./log-bus.ts";
import type { Redactor } from "./redaction.ts";
import type { SecretBox } from "../projects/secrets.ts";
import { type Fence, groupCommit, type Write, type WriteOptions } from "../db/group-commit.ts";
import { execOn, type Tx } from "../db/tx.ts";
import { jsonText } from "../db/dialect.ts";
import { newId } from "../util/ids.ts";
import { type JournalStep, readJournal } from "./journal.ts";

export type { LogRecordType, SessionState };
export type Session = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;
export type LogRecord = typeof sessionLogs.$inferSelect;

// A live session has not ended yet: it runs, or will (a node may be about to adopt it).
export const LIVE_STATES = ["created", "running"] as const satisfies readonly SessionState[];
export const FINAL_STATES: readonly SessionState[] = ["completed", "error", "stopped"];
export const SESSION_STATES: readonly SessionState[] = [...LIVE_STATES, ...FINAL_STATES];

export function isFinal(state: SessionState): boolean {
  return FINAL_STATES.includes(state);
}

export type NewSessionInput = Omit<NewSession, "id" | "state" | "createdAt" | "updatedAt">;

// A new session's row, "created" now, to insert (SessionManager.ownedRow leases it too).
export function newSessionRow(input: NewSessionInput): NewSession {
  const t = now();
  return { ...input, id: newId("ses"), state: "created", createdAt: t, updatedAt: t };
}

// The row the database holds for a session inserted as `row`, columns not given at their
// defaults.
export function insertedSession(row: NewSession): Session {
  return {
    id: row.id!,
    projectId: row.projectId,
    deploymentId: row.deploymentId ?? null,
    buildId: row.buildId,
    eventId: row.eventId ?? null,
    triggerId: row.triggerId ?? null,
    parentId: row.parentId ?? null,
    entrypoint: row.entrypoint,
    inputs: row.inputs,
    memo: row.memo,
    isDurable: row.isDurable,
    state: row.state,
    runs: row.runs ?? 0,
    error: row.error ?? null,
    hibernated: row.hibernated ?? false,
    wakeAt: row.wakeAt ?? null,
    owner: row.owner ?? null,
    leaseUntil: row.leaseUntil ?? null,
    leaseEpoch: row.leaseEpoch ?? 0,
    stopReason: row.stopReason ?? null,
    returnDisplay: row.returnDisplay ?? null,
    returnValue: row.returnValue ?? null,
    createdAt: row.createdAt,
    startedAt: row.startedAt ?? null,
    endedAt: row.endedAt ?? null,
    updatedAt: row.updatedAt,
  };
}

// Inserts new sessions' rows (from newSessionRow / SessionManager.ownedRow) in plain SQL (see
// execOn): it runs for every event. Columns not given take their defaults.
export async function insertSessions(tx: Tx, rows: NewSession[]): Promise<void> {
  const exec = execOn(tx);
  for (const r of rows) {
    await exec(
      `INSERT INTO sessions (id, project_id, deployment_id, build_id, event_id, trigger_id,
         parent_id, entrypoint, inputs, memo, is_durable, state, owner, lease_until,
         created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        r.id!,
        r.projectId,
        r.deploymentId ?? null,
        r.buildId,
        r.eventId ?? null,
        r.triggerId ?? null,
        r.parentId ?? null,
        r.entrypoint,
        JSON.stringify(r.inputs),
        JSON.stringify(r.memo),
        r.isDurable ? 1 : 0,
        r.state,
        r.owner ?? null,
        r.leaseUntil ?? null,
        r.createdAt,
        r.updatedAt,
      ],
    );
  }
}

export type SessionFilter = {
  projectId?: string;
  deploymentId?: string;
  eventId?: string;
  state?: SessionState;
  limit?: number;
};

export class Sessions {
  // get's statement, built once (it runs for every session).
  private readonly getQuery;

  constructor(private readonly db: Db, readonly bus: LogBus, private readonly box: SecretBox) {
    this.getQuery = db.select().from(sessions).where(eq(sessions.id, sql.placeholder("id")))
      .prepare();
  }

  get(id: string): Promise<Session | undefined> {
    return this.getQuery.execute({ id }).then((rows) => rows[0]);
  }

  // `s` as it is now, read in plain SQL: only the columns that change while it lives
  // (the rest are as the session was created). Runs after every run.
  async current(s: Session): Promise<Session | undefined> {
    const { rows } = await this.db.$client.execute({
      sql: `SELECT state, runs, error, hibernated, wake_at, owner, lease_until, lease_epoch,
              stop_reason, started_at, ended_at, updated_at FROM sessions WHERE id = ? LIMIT 1`,
      args: [s.id],
    });
    const r = rows[0];
    if (!r) return undefined;
    const text = (v: unknown) => (v === null ? null : String(v));
    const num = (v: unknown) => (v === null ? null : Number(v));
    return {
      ...s,
      state: String(r.state) as SessionState,
      runs: Number(r.runs),
      error: text(r.error),
      hibernated: (r.hibernated as unknown) === true || Number(r.hibernated) === 1,
      wakeAt: num(r.wake_at),
      owner: text(r.owner),
      leaseUntil: num(r.lease_until),
      leaseEpoch: Number(r.lease_epoch),
      stopReason: text(r.stop_reason),
      startedAt: num(r.started_at),
      endedAt: num(r.ended_at),
      updatedAt: Number(r.updated_at),
    };
  }

  list(filter: SessionFilter = {}): Promise<Session[]> {
    const where: SQL[] = [];
    if (filter.projectId) where.push(eq(sessions.projectId, filter.projectId));
    if (filter.deploymentId) where.push(eq(sessions.deploymentId, filter.deploymentId));
    if (filter.eventId) where.push(eq(sessions.eventId, filter.eventId));
    if (filter.state) where.push(eq(sessions.state, filter.state));
    return this.db.select().from(sessions).where(and(...where))
      .orderBy(desc(sessions.createdAt), desc(sessions.id)).limit(filter.limit ?? 50);
  }

  // Stores a new session's row (from newSessionRow); the manager starts it.
  async add(row: NewSession): Promise<void> {
    await groupCommit(this.db).write((tx) => tx.insert(sessions).values(row), { isolated: true });
  }

  async latest(projectId: string): Promise<Session | undefined> {
    return (await this.list({ projectId, limit: 1 }))[0];
  }

  inStates(states: readonly SessionState[]): Promise<Session[]> {
    return this.db.select().from(sessions).where(inArray(sessions.state, states))
      .orderBy(asc(sessions.createdAt));
  }

  // A run begins: state "running", one more run, started now if it never started. Queued
  // before the run's own writes, which commit after it (or with it); under the run's fence.
  async markRunning(s: Session, fence: Fence): Promise<void> {
    const t = now();
    await groupCommit(this.db).write((tx) =>
      execOn(tx)(
        `UPDATE sessions SET state = 'running', runs = ?, started_at = ?, updated_at = ?
         WHERE id = ?`,
        [s.runs + 1, s.startedAt ?? t, t, s.id],
      ), { fence });
  }

  // `fence`: a run's, when the run makes this change (fence.ts).
  async update(id: string, fields: Partial<NewSession>, fence?: Fence): Promise<void> {
    await groupCommit(this.db).write(
      (tx) => tx.update(sessions).set({ ...fields, updatedAt: now() }).where(eq(sessions.id, id)),
      { isolated: true, fence },
    );
  }

  logs(
    id: string,
    opts: { after?: number; types?: LogRecordType[]; limit?: number } = {},
  ): Promise<LogRecord[]> {
    const where = [eq(sessionLogs.sessionId, id)];
    if (opts.after !== undefined) where.push(gt(sessionLogs.seq, opts.after));
    if (opts.types) where.push(inArray(sessionLogs.type, opts.types));
    const q = this.db.select().from(sessionLogs).where(and(...where)).orderBy(asc(sessionLogs.seq));
    return opts.limit ? q.limit(opts.limit) : q;
  }

  // The log records of every session of a project, by global id (`after` is an id).
  async projectLogs(
    projectId: string,
    opts: { after: number; limit: number },
  ): Promise<(LogRecord & { projectId: string })[]> {
    const rows = await this.db.select({ record: sessionLogs }).from(sessionLogs)
      .innerJoin(sessions, eq(sessions.id, sessionLogs.sessionId))
      .where(and(eq(sessions.projectId, projectId), gt(sessionLogs.id, opts.after)))
      .orderBy(asc(sessionLogs.id)).limit(opts.limit);
    return rows.map((r) => ({ ...r.record, projectId }));
  }

  // The global id of the latest log record, 0 when there is none.
  async lastLogId(): Promise<number> {
    const [row] = await this.db.select({ last: max(sessionLogs.id) }).from(sessionLogs);
    return row?.last ?? 0;
  }

  // Deletes a session with its log, journal, subscriptions and signals (the foreign keys'
  // cascades; by hand on a libSQL server); the caller checks that it is final.
  async remove(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!foreignKeysEnforced(this.db)) await deleteSessionChildren(tx, [id]);
      await tx.delete(sessions).where(eq(sessions.id, id));
    });
  }

  // Sessions owned by the node that someone asked to stop.
  stopRequested(owner: string): Promise<Session[]> {
    return this.db.select().from(sessions).where(and(
      eq(sessions.owner, owner),
      inArray(sessions.state, LIVE_STATES),
      isNotNull(sessions.stopReason),
    ));
  }

  journal(id: string): Promise<JournalStep[]> {
    return readJournal(this.db, this.box, id);
  }

  // What the session's runs have printed so far: `workflow`, how many prints made outside
  // activities (a replay makes them again and does not send them; docs/protocol.md,
  // "Replay"), and `chars`, how many characters all prints logged (for the print limit).
  async printed(id: string): Promise<{ workflow: number; chars: number }> {
    const { rows } = await this.db.$client.execute({
      sql: `SELECT count(*) FILTER (WHERE ${jsonText(this.db, "data", "call_seq")} IS NULL)
                     AS workflow,
                   coalesce(sum(length(${jsonText(this.db, "data", "text")})), 0) AS chars
            FROM session_logs WHERE session_id = ? AND type = 'print'`,
      args: [id],
    });
    return { workflow: Number(rows[0]?.workflow ?? 0), chars: Number(rows[0]?.chars ?? 0) };
  }

  // `fence`: a run's (fence.ts); its records, and the writes made through it, commit
  // under it.
  // The log of a session that has none yet (it never ran).
  newLog(session: { id: string; projectId: string }, fence?: Fence): SessionLog {
    return new SessionLog(this.db, this.bus, session, 0, fence);
  }

  async openLog(session: { id: string; projectId: string }, fence?: Fence): Promise<SessionLog> {
    const { rows } = await this.db.$client.execute({
      sql: "SELECT max(seq) AS last FROM session_logs WHERE session_id = ?",
      args: [session.id],
    });
    return new SessionLog(this.db, this.bus, session, Number(rows[0]?.last ?? 0), fence);
  }
}

// Records nobody waits for: committed with the next write that is waited for (a long
// activity's call records with its result), or shortly after.
const LAZY_RECORDS: ReadonlySet<LogRecordType> = new Set([
  "print",
  "call_spec",
  "call_attempt_start",
]);

// Appends one session's log records in order, numbering them. Its writes are group
// committed with other sessions' (db/group-commit.ts), in the order they are made.
export class SessionLog {
  // The last write queued, and the last one queued that is not lazy.
  private tail: Promise<unknown> = Promise.resolve();
  private eagerTail: Promise<unknown> = Promise.resolve();
  private lastAt = 0;
  // Masks secret values in the records' data.
  redactor?: Redactor;

  constructor(
    private readonly db: Db,
    private readonly bus: LogBus,
    private readonly session: { id: string; projectId: string },
    private seq: number,
    readonly fence?: Fence,
  ) {}

  append(type: LogRecordType, data: Record<string, unknown>): Promise<void> {
    const record = this.record(type, data);
    const lazy = LAZY_RECORDS.has(type);
    const result = groupCommit(this.db)
      .appendLog(record, { lazy, fence: this.fence })
      .then((id) => this.publish(record, id));
    this.queued(result, lazy);
    return result;
  }

  // Queues `write` with these records (type, data, time: now by default) in one entry, the
  // cheapest way to commit a durable step; resolves once they are committed. `lazy`: see
  // db/group-commit.ts. `committed` runs once they are committed, before the records are
  // published (a durable step's answer: the runner need not wait for the log's listeners).
  writeWithRecords(
    write: Write<unknown>,
    records: [LogRecordType, Record<string, unknown>, number?][],
    lazy = false,
    committed?: () => void,
  ): Promise<void> {
    const rows = records.map(([type, data, at]) => this.record(type, data, at));
    const result = groupCommit(this.db).writeWithLogs(write, rows, this.fence, lazy);
    const published = result.then(({ ids }) => {
      committed?.();
      for (let i = 0; i < rows.length; i++) this.publish(rows[i], ids[i]);
    });
    this.queued(published, lazy);
    return published;
  }

  private queued(written: Promise<unknown>, lazy = false): void {
    this.tail = written.catch(() => {});
    if (!lazy) this.eagerTail = this.tail;
  }

  // `at` may be earlier than now (an activity's start, told with its result), not earlier
  // than the records before it.
  private record(type: LogRecordType, data: Record<string, unknown>, at = now()) {
    if (this.redactor) data = this.redactor.value(data);
    this.lastAt = Math.max(at, this.lastAt);
    return { sessionId: this.session.id, seq: ++this.seq, type, data, createdAt: this.lastAt };
  }

  private publish(record: ReturnType<SessionLog["record"]>, id: number): void {
    this.bus.publish({ ...record, id, projectId: this.session.projectId });
  }

  // Queues a write after every record queued so far; resolves once it is committed. The
  // write must use only `tx`; `lazy` when nothing waits for it (see db/group-commit.ts).
  // Under the log's fence, if it has one.
  write<T>(task: Write<T>, opts: WriteOptions = {}): Promise<T> {
    const result = groupCommit(this.db).write(task, { fence: this.fence, ...opts });
    this.queued(result, opts.lazy);
    return result;
  }

  // Settles once every write queued so far has (lazy ones are committed now).
  flushed(): Promise<unknown> {
    groupCommit(this.db).flushNow();
    return this.tail;
  }

  // Settles once every write queued so far that is not lazy has; the lazy ones stay
  // queued, to commit with the next write that commits.
  eagerWritten(): Promise<unknown> {
    return this.eagerTail;
  }

  // Commits now what is queued lazily.
  flushLazy(): void {
    groupCommit(this.db).flushNow();
  }
}

// A failed session made live again for a retry (manager.ts `retry`): running, unowned,
// its error and end cleared; only while it is still in error.
export function reopenFailed(tx: Tx, id: string) {
  return tx.update(sessions).set({
    state: "running",
    error: null,
    endedAt: null,
    returnDisplay: null,
    returnValue: null,
    owner: null,
    leaseUntil: null,
    hibernated: false,
    wakeAt: null,
    stopReason: null,
    updatedAt: now(),
  }).where(and(eq(sessions.id, id), eq(sessions.state, "error")));
}
