// Matches a stored event against the triggers of active deployments and starts one
// session per matching trigger × active deployment (AutoKitteh §1.7).
import { and, eq, or } from "drizzle-orm";
import { compileFilter } from "./cel.ts";
import type { Db } from "./db/client.ts";
import { configCache } from "./config-cache.ts";
import { events, triggers } from "./db/schema.ts";
import { activeDeployments } from "./deployments.ts";
import { type EventRow, type Events, insertEvent, type NewEvent, newEventRow } from "./events.ts";
import { fault } from "./faults.ts";
import { log } from "./log.ts";
import { SessionManager } from "./session-manager.ts";
import { insertSessions, type NewSession } from "./sessions.ts";
import { candidateSubscriptions } from "./subscribers.ts";
import type { Wakeups } from "./wakeups.ts";

type Trigger = typeof triggers.$inferSelect;

export type DispatchResult = {
  eventId: string;
  sessionIds: string[];
  signaledSessionIds: string[];
};

export function eventTypeMatches(triggerType: string, eventType: string): boolean {
  return triggerType === "" || triggerType === "*" || triggerType === eventType;
}

export function filterMatches(t: Trigger, e: EventRow): boolean {
  if (!t.filter.trim()) return true;
  try {
    return compileFilter(t.filter).matches({ data: e.data, event_type: e.eventType });
  } catch {
    return false;
  }
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
    const { candidates, rows } = await this.plan(e);
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
    return this.started(e, rows, candidates);
  }

  // A new event: stored already dispatched, with its sessions, in one transaction (one
  // commit on the way to the handler), then handled as dispatch() does after its commit.
  async receive(n: NewEvent): Promise<{ event: EventRow; dispatched: DispatchResult }> {
    fault("event.before_store");
    const row = { ...newEventRow(n), dispatched: true };
    const { candidates, rows } = await this.plan({ ...row, seq: 0 } as EventRow);
    const event = await this.db.transaction(async (tx) => {
      const stored = await insertEvent(tx, row);
      await insertSessions(tx, rows);
      return stored;
    });
    fault("event.after_store");
    fault("dispatch.after_commit");
    return { event, dispatched: await this.started(event, rows, candidates) };
  }

  // The sessions the event starts: one per matching trigger × active deployment.
  private async plan(e: EventRow): Promise<{ candidates: Trigger[]; rows: NewSession[] }> {
    const candidates = await destinationTriggers(this.db, e.destinationId);
    const matching = candidates.filter((t) =>
      t.call && eventTypeMatches(t.eventType, e.eventType) && filterMatches(t, e)
    );
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
    return { candidates, rows };
  }

  // After the commit that created the sessions: start them, wake subscribers.
  private async started(
    e: EventRow,
    rows: NewSession[],
    candidates: Trigger[],
  ): Promise<DispatchResult> {
    for (const row of rows) {
      log.info("session created", { session: row.id, event: e.id, entrypoint: row.entrypoint });
      this.manager.startOwned(row);
    }
    // Subscribed sessions whose filters match look again (a hibernated one resumes).
    const signaled = await this.matchingSubscribers(e, candidates);
    for (const sessionId of signaled) this.wakeups.notify(sessionId);
    return {
      eventId: e.id,
      sessionIds: rows.map((r) => r.id!),
      signaledSessionIds: signaled,
    };
  }

  private async matchingSubscribers(e: EventRow, candidates: Trigger[]): Promise<string[]> {
    const trigger = candidates.find((t) => t.id === e.destinationId);
    if (
      trigger && (!eventTypeMatches(trigger.eventType, e.eventType) || !filterMatches(trigger, e))
    ) return [];
    const subs = await candidateSubscriptions(this.db, e);
    const vars = { data: e.data, event_type: e.eventType };
    const matching = subs.filter((s) => !s.filter.trim() || compileFilter(s.filter).matches(vars));
    return [...new Set(matching.map((s) => s.sessionId))];
  }

  // Events stored before a crash but not yet dispatched.
  async dispatchPending(): Promise<void> {
    for (const e of await this.events.undispatched()) await this.dispatch(e);
  }
}
