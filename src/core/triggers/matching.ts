// Whether an event matches a trigger: its event type, then its CEL filter. Used by the
// dispatcher (which sessions an event starts) and by subscriptions (a trigger's type and
// filter apply to its subscribers too).
import { eq, or } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { triggers } from "../db/schema.ts";
import type { EventRow } from "../events.ts";
import { configCache } from "../projects/config-cache.ts";
import { log } from "../util/log.ts";
import type { FilterOutcome } from "./cel.ts";
import { evaluateFilter } from "./filter-eval.ts";
import type { Trigger } from "./lookup.ts";

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
export function destinationTriggers(db: Db, destinationId: string): Promise<Trigger[]> {
  return configCache(db).get(
    `destination:${destinationId}`,
    () =>
      db.select().from(triggers)
        .where(or(eq(triggers.id, destinationId), eq(triggers.connectionId, destinationId))),
  );
}

// The triggers whose type and filter the event matches: those that call a handler, and
// the event's own trigger (whose filter applies to its subscribers too).
export async function matchingTriggers(db: Db, e: EventRow): Promise<Trigger[]> {
  const candidates = (await destinationTriggers(db, e.destinationId)).filter((t) =>
    (t.call || t.id === e.destinationId) && eventTypeMatches(t.eventType, e.eventType)
  );
  const verdicts = await Promise.all(candidates.map((t) => filterMatches(t, e)));
  return candidates.filter((_, i) => verdicts[i]);
}
