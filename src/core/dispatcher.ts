// Matches a stored event against the triggers of active deployments and starts one
// session per matching trigger × active deployment (AutoKitteh §1.7).
import { and, eq, or } from "drizzle-orm";
import type { FilterOutcome } from "./triggers/cel.ts";
import type { Db } from "./db/client.ts";
import { configCache } from "./projects/config-cache.ts";
import { events, triggers } from "./db/schema.ts";
import { activeDeployments } from "./projects/deployments.ts";
import { type EventRow, type Events, insertEvent, type NewEvent, newEventRow } from "./events.ts";
import { fault } from "./util/faults.ts";
import { evaluateFilter, evaluateFilters } from "./triggers/filter-eval.ts";
import { log } from "./util/log.ts";
import { SessionManager } from "./sessions/manager.ts";
import { insertSessions, type NewSession } from "./sessions/rows.ts";
import { candidateSubscriptions } from "./triggers/subscribers.ts";
import type { Wakeups } from "./sessions/wakeups.ts";

type Trigger = typeof triggers.$inferSelect;

export type DispatchResult = {
  eventId: string;
  sessionIds: string[];
  signaledSessionIds: string[];
};

export function eventTypeMatches(triggerType: string, eventType: string): boolean {
  return triggerType === "" || triggerType === "*" || triggerType === eventType;
}

// Whether a trigger's filter matches an event. One that fails to evaluate does not match;
// one that ran out of its budget is logged, with the event and why.
export async function filterMatches(t: Trigger, e: EventRow): Promise<boolean> {
  if (!t.filter.trim()) return true;
  const outcome = await evaluateFilter(t.filter, { data: e.data, event_type: e.eventType });
  logFilterError(outcome, { event: e.id, trigger: t.id });
  return outcome.match;
}

export function logFilterError(outcome: FilterOutcome, fields: Record<string, string>): void {
  if (!outcome.error) return;
  // CEL's own errors (a missing key, say) are how many filters say no: not worth a warning.
  const write = outcome.celError ? log.debug : log.warn;
  write("filter error", { ...fields, error: outcome.error });
}

// The triggers an event on `destinationId` (a trigger or a connection) may match (cached).
function destinationTriggers(db: Db, destinationId: string): Promise<Trigger[]> {
  return configCache(db).get(
    `destination:${destinationId}`,
    () =>
      db.select().from(triggers)
        .where(or(eq(triggers.id, destinationId), eq(triggers.connectionId, destinationId))),
  );
}

export class Dispatcher {
  constructor(
    private readonly db: Db,
    private readonly events: Events,
    private readonly manager: SessionManager,
    private readonly wakeups: Wakeups,
  ) {}

  // Sessions are created and the event marked dispatched in one transaction, so an event
  // is dispatched exactly once even if the daemon dies in between.
  async dispatch(e: EventRow): Promise<DispatchResult> {
    const { matched, rows } = await this.plan(e);
    // Claimed in the same transaction: of several daemons on one database, one dispatches.
    const claimed = await this.db.transaction(async (tx) => {
      const marked = await tx.update(events).set({ dispatched: true })
        .where(and(eq(events.id, e.id), eq(events.dispatched, false))).returning({ id: events.id });
      if (!marked.length) return false;
      await insertSessions(tx, rows);
      return true;
    });
    if (!claimed) return { eventId: e.id, sessionIds: [], signaledSessionIds: [] };
    fault("dispatch.after_commit");
    return this.started(e, rows, matched);
  }

  // A new event: stored already dispatched, with its sessions, in one transaction (one
  // commit on the way to the handler), then handled as dispatch() does after its commit.
  async receive(n: NewEvent): Promise<{ event: EventRow; dispatched: DispatchResult }> {
    fault("event.before_store");
    const row = { ...newEventRow(n), dispatched: true };
    const { matched, rows } = await this.plan({ ...row, seq: 0 } as EventRow);
    const event = await this.db.transaction(async (tx) => {
      const stored = await insertEvent(tx, row);
      await insertSessions(tx, rows);
      return stored;
    });
    fault("event.after_store");
    fault("dispatch.after_commit");
    return { event, dispatched: await this.started(event, rows, matched) };
  }

  // The sessions the event starts: one per matching trigger × active deployment. The
  // triggers matched are those that call a handler, and the event's own trigger (whose
  // filter applies to its subscribers too).
  private async plan(e: EventRow): Promise<{ matched: Trigger[]; rows: NewSession[] }> {
    const candidates = (await destinationTriggers(this.db, e.destinationId)).filter((t) =>
      (t.call || t.id === e.destinationId) && eventTypeMatches(t.eventType, e.eventType)
    );
    const verdicts = await Promise.all(candidates.map((t) => filterMatches(t, e)));
    const matched = candidates.filter((_, i) => verdicts[i]);
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
  ): Promise<DispatchResult> {
    for (const row of rows) {
      log.info("session created", { session: row.id, event: e.id, entrypoint: row.entrypoint });
      this.manager.startOwned(row);
    }
    // Subscribed sessions whose filters match look again (a hibernated one resumes).
    const signaled = await this.matchingSubscribers(e, matched);
    for (const sessionId of signaled) this.wakeups.notify(sessionId);
    return {
      eventId: e.id,
      sessionIds: rows.map((r) => r.id!),
      signaledSessionIds: signaled,
    };
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
