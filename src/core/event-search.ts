// Events for people (the web UI): found by project, type, destination and time range, a
// page at a time; and, for one event, why it started no session.
import { and, count, desc, eq, gte, inArray, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "./db/client.ts";
import { connections, events, projects, sessions, triggers } from "./db/schema.ts";
import type { EventRow } from "./events.ts";
import { activeDeployments } from "./projects/deployments.ts";
import { evaluateFilter } from "./triggers/filter-eval.ts";
import { destinationTriggers, eventTypeMatches } from "./triggers/matching.ts";

export type EventSearch = {
  projectId?: string;
  eventType?: string;
  destinationId?: string;
  since?: number;
  until?: number;
  offset?: number;
  limit?: number;
};

export type FoundEvent = EventRow & {
  projectName: string | null;
  source: string | null;
  sessionCount: number;
};

export async function searchEvents(
  db: Db,
  q: EventSearch,
): Promise<{ events: FoundEvent[]; total: number }> {
  const where: SQL[] = [];
  if (q.projectId) where.push(eq(events.projectId, q.projectId));
  if (q.eventType) where.push(eq(events.eventType, q.eventType));
  if (q.destinationId) where.push(eq(events.destinationId, q.destinationId));
  if (q.since !== undefined) where.push(gte(events.createdAt, q.since));
  if (q.until !== undefined) where.push(lte(events.createdAt, q.until));
  const filter = and(...where);
  const [rows, [{ n }]] = await Promise.all([
    db.select({
      e: events,
      projectName: projects.name,
      sessionCount: sql<number>`(SELECT count(*) FROM sessions s WHERE s.event_id = ${events.id})`,
    }).from(events).leftJoin(projects, eq(projects.id, events.projectId)).where(filter)
      .orderBy(desc(events.seq)).limit(q.limit ?? 100).offset(q.offset ?? 0),
    db.select({ n: count() }).from(events).where(filter),
  ]);
  const names = await sourceNames(db, rows.map((r) => r.e.destinationId));
  return {
    events: rows.map((r) => ({
      ...r.e,
      projectName: r.projectName,
      source: names.get(r.e.destinationId) ?? null,
      sessionCount: Number(r.sessionCount),
    })),
    total: n,
  };
}

// The names of triggers and connections, by id.
export async function sourceNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (!unique.length) return new Map();
  const [ts, cs] = await Promise.all([
    db.select({ id: triggers.id, name: triggers.name }).from(triggers)
      .where(inArray(triggers.id, unique)),
    db.select({ id: connections.id, name: connections.name }).from(connections)
      .where(inArray(connections.id, unique)),
  ]);
  return new Map([...ts, ...cs].map((r) => [r.id, r.name]));
}

export type TriggerVerdict = {
  trigger: string;
  // Why this trigger started nothing, or "matched" when it would start a session.
  outcome: "type" | "filter" | "filter_error" | "no_call" | "no_deployment" | "matched";
  reason: string;
};

// Why an event started no session, trigger by trigger, judged by the triggers as they are
// now (the dispatcher records no verdicts; a redeploy since may have changed them).
export async function explainEvent(db: Db, e: EventRow): Promise<TriggerVerdict[]> {
  const candidates = await destinationTriggers(db, e.destinationId);
  const verdicts: TriggerVerdict[] = [];
  for (const t of candidates) {
    const trigger = t.name;
    if (!eventTypeMatches(t.eventType, e.eventType)) {
      verdicts.push({
        trigger,
        outcome: "type",
        reason: `no trigger matched the event type: trigger "${trigger}" takes "${t.eventType}", ` +
          `the event is "${e.eventType}"`,
      });
      continue;
    }
    if (t.filter.trim()) {
      const outcome = await evaluateFilter(t.filter, { data: e.data, event_type: e.eventType });
      if (!outcome.match) {
        verdicts.push({
          trigger,
          outcome: outcome.error ? "filter_error" : "filter",
          reason: `the filter of trigger "${trigger}" did not match: ${t.filter}` +
            (outcome.error ? ` (${outcome.error})` : ""),
        });
        continue;
      }
    }
    if (!t.call) {
      verdicts.push({
        trigger,
        outcome: "no_call",
        reason: `trigger "${trigger}" calls no handler (it feeds subscriptions only)`,
      });
      continue;
    }
    const active = await activeDeployments(db, t.projectId);
    verdicts.push(
      active.length ? { trigger, outcome: "matched", reason: `trigger "${trigger}" matches` } : {
        trigger,
        outcome: "no_deployment",
        reason: `trigger "${trigger}" matches, but its project has no active deployment`,
      },
    );
  }
  return verdicts;
}

// The sessions an event started (ids, states, entry points).
export function sessionsOfEvent(db: Db, eventId: string) {
  return db.select({
    id: sessions.id,
    state: sessions.state,
    entrypoint: sessions.entrypoint,
    createdAt: sessions.createdAt,
  }).from(sessions).where(eq(sessions.eventId, eventId)).orderBy(desc(sessions.createdAt));
}
