// Matches a stored event against the triggers of active deployments and starts one
// session per matching trigger × active deployment (AutoKitteh §1.7).
import { and, eq } from "drizzle-orm";
import type { Db } from "./db/client.ts";
import { events } from "./db/schema.ts";
import { groupCommit } from "./db/group-commit.ts";
import { activeDeployments } from "./projects/deployments.ts";
import { type EventRow, type Events, insertEvent, type NewEvent, newEventRow } from "./events.ts";
import { fault } from "./util/faults.ts";
import { evaluateFilters } from "./triggers/filter-eval.ts";
import { log } from "./util/log.ts";
import { eventReceived } from "../observability/metrics.ts";
import { sessionCreated } from "../observability/tracing.ts";
import { sessionFenceKey } from "./sessions/fence.ts";
import { insertSessions, type NewSession, type NewSessionInput } from "./sessions/rows.ts";
import type { Trigger } from "./triggers/lookup.ts";
import { destinationTriggers, logFilterError, matchingTriggers } from "./triggers/matching.ts";
import { candidateSubscriptions } from "./triggers/subscribers.ts";
import type { Wakeups } from "./sessions/wakeups.ts";

export type DispatchResult = {
  eventId: string;
  sessionIds: string[];
  signaledSessionIds: string[];
};

// What the dispatcher needs of the session manager (sessions/manager.ts): rows for the
// sessions it creates, leased to this node, and starting them once they are committed.
export interface SessionStarter {
  ownedRow(input: NewSessionInput): NewSession;
  // `committed`: the insert's commit, when still in flight (the session is set up meanwhile
  // and starts running once it resolves; it is dropped if it fails).
  startOwned(row: NewSession, committed?: Promise<unknown>): void;
}

export class Dispatcher {
  constructor(
    private readonly db: Db,
    private readonly events: Events,
    private readonly manager: SessionStarter,
    private readonly wakeups: Wakeups,
  ) {}

  // Sessions are created and the event marked dispatched in one transaction, so an event
  // is dispatched exactly once even if the daemon dies in between.
  // `integration`: where the event came from (metrics and traces).
  async dispatch(e: EventRow, integration = "pending"): Promise<DispatchResult> {
    const { matched, rows } = await this.plan(e);
    // Claimed in the same transaction: of several daemons on one database, one dispatches.
    const claimed = await groupCommit(this.db).write(async (tx) => {
      const marked = await tx.update(events).set({ dispatched: true })
        .where(and(eq(events.id, e.id), eq(events.dispatched, false))).returning({ id: events.id });
      if (!marked.length) return false;
      await insertSessions(tx, rows);
      return true;
    }, { isolated: true });
    if (!claimed) return { eventId: e.id, sessionIds: [], signaledSessionIds: [] };
    fault("dispatch.after_commit");
    return this.started(e, rows, matched, integration);
  }

  // A new event: stored already dispatched, with its sessions, in one write (one commit,
  // shared with other writers, on the way to the handler), then handled as dispatch()
  // does after its commit. `integration`: where it came from (metrics and traces).
  async receive(
    n: NewEvent,
    integration = "api",
  ): Promise<{ event: EventRow; dispatched: DispatchResult }> {
    fault("event.before_store");
    const row = { ...newEventRow(n), dispatched: true };
    const { matched, rows } = await this.plan({ ...row, seq: 0 } as EventRow);
    const storing = groupCommit(this.db).write(async (tx) => {
      const stored = await insertEvent(tx, row);
      await insertSessions(tx, rows);
      return stored;
    }, { isolated: true, movesNoFence: true, makesFences: rows.map((r) => sessionFenceKey(r)) });
    // Its sessions take their runners while the commit (and its fsync) is in flight.
    this.start(rows, storing);
    const event = await storing;
    fault("event.after_store");
    fault("dispatch.after_commit");
    return { event, dispatched: await this.started(event, rows, matched, integration, true) };
  }

  // The sessions the event starts: one per matching trigger × active deployment
  // (`matched`: see matchingTriggers).
  private async plan(e: EventRow): Promise<{ matched: Trigger[]; rows: NewSession[] }> {
    const matched = await matchingTriggers(this.db, e);
    const matching = matched.filter((t) => t.call);
    const rows: NewSession[] = [];
    for (const t of matching) {
      for (const d of await activeDeployments(this.db, t.projectId)) {
        rows.push(this.manager.ownedRow({
          projectId: t.projectId,
          deploymentId: d.id,
          buildId: d.buildId,
          eventId: e.id,
          triggerId: t.id,
          entrypoint: t.call!,
          inputs: e.data,
          memo: {
            event_id: e.id,
            event_type: e.eventType,
            trigger_id: t.id,
            project_id: t.projectId,
          },
          isDurable: t.isDurable,
        }));
      }
    }
    return { matched, rows };
  }

  // After the commit that created the sessions: start them, wake subscribers.
  private async started(
    e: EventRow,
    rows: NewSession[],
    matched: Trigger[],
    integration: string,
    startedAlready = false,
  ): Promise<DispatchResult> {
    if (!startedAlready) this.start(rows);
    for (const row of rows) {
      log.info("session created", { session: row.id, event: e.id, entrypoint: row.entrypoint });
    }
    // Subscribed sessions whose filters match look again (a hibernated one resumes).
    const signaled = await this.matchingSubscribers(e, matched);
    for (const sessionId of signaled) this.wakeups.notify(sessionId);
    eventReceived(
      integration,
      rows.length ? "session_started" : signaled.length ? "delivered" : "filtered_out",
    );
    return {
      eventId: e.id,
      sessionIds: rows.map((r) => r.id!),
      signaledSessionIds: signaled,
    };
  }

  private start(rows: NewSession[], committed?: Promise<unknown>): void {
    for (const row of rows) {
      sessionCreated(row.id!);
      this.manager.startOwned(row, committed);
    }
  }

  // `matched`: the triggers whose type and filter the event matched (see plan).
  private async matchingSubscribers(e: EventRow, matched: Trigger[]): Promise<string[]> {
    const trigger = (await destinationTriggers(this.db, e.destinationId))
      .find((t) => t.id === e.destinationId);
    if (trigger && !matched.some((t) => t.id === trigger.id)) return [];
    const subs = await candidateSubscriptions(this.db, e);
    const vars = { data: e.data, event_type: e.eventType };
    const outcomes = await evaluateFilters(subs.map((s) => s.filter), vars);
    const matching = subs.filter((s, i) => {
      logFilterError(outcomes[i], { event: e.id, session: s.sessionId });
      return outcomes[i].match;
    });
    return [...new Set(matching.map((s) => s.sessionId))];
  }

  // Events stored before a crash but not yet dispatched.
  async dispatchPending(): Promise<void> {
    for (const e of await this.events.undispatched()) await this.dispatch(e);
  }
}
