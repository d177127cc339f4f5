// subscribe / next_event / unsubscribe (AutoKitteh §7).
import { and, asc, eq, gt, max } from "drizzle-orm";
import { connectionByName } from "../../projects/connections.ts";
import { events, subscriptions, triggers } from "../../db/schema.ts";
import { eventTypeMatches, filterMatches, logFilterError } from "../../triggers/matching.ts";
import { evaluateFilter } from "../../triggers/filter-eval.ts";
import { now } from "../../util/clock.ts";
import { fault } from "../../util/faults.ts";
import { triggerByName } from "../../triggers/lookup.ts";
import { insertingSubscriptions } from "../../triggers/subscribers.ts";
import {
  commit,
  stringArg,
  type SyscallContext,
  SyscallError,
  timeoutArg,
  waitFor,
} from "./context.ts";

const SCAN_LIMIT = 500;

export async function subscribe(
  ctx: SyscallContext,
  args: Record<string, unknown>,
): Promise<string> {
  const source = stringArg(args, "source");
  const filter = typeof args.filter === "string" ? args.filter : "";
  const { db } = ctx.deps;
  const projectId = ctx.session.projectId;
  const [conn, trigger] = await Promise.all([
    connectionByName(db, projectId, source),
    triggerByName(db, projectId, source),
  ]);
  const destination = conn ?? trigger;
  // AutoKitteh looks the source up before it checks the filter, and says so in its words.
  if (!destination || (conn && trigger)) {
    throw new SyscallError(`subscribe(${source}, ${filter}) -> source "${source}" not found`);
  }
  // The CEL library is loaded with the first subscription.
  const [{ checkFilter }, { filterGuard }] = await Promise.all([
    import("../../triggers/cel.ts"),
    import("../../triggers/filter-guard.ts"),
  ]);
  const filterError = filter.trim() ? checkFilter(filter) : undefined;
  if (filterError) throw new SyscallError(filterError);
  const guard = filterGuard(filter);
  return insertingSubscriptions(db, () =>
    commit(ctx, async (tx) => {
      const [row] = await tx.select({ last: max(events.seq) }).from(events);
      const id = crypto.randomUUID();
      await tx.insert(subscriptions).values({
        id,
        sessionId: ctx.session.id,
        destinationId: destination.id,
        filter,
        cursor: row?.last ?? 0,
        createdAt: now(),
        guardPath: guard?.path ?? null,
        guardValue: guard?.value ?? null,
      });
      return id;
    }));
}

export type EventValue = { event_id: string; event_type: string; data: unknown };

export async function nextEvent(
  ctx: SyscallContext,
  args: Record<string, unknown>,
): Promise<EventValue | null> {
  const ids = Array.isArray(args.ids) ? args.ids : [args.ids];
  if (!ids.length || ids.some((id) => typeof id !== "string")) {
    throw new SyscallError("ids must be subscription ids");
  }
  const { db } = ctx.deps;
  const subs: (typeof subscriptions.$inferSelect)[] = [];
  for (const id of ids as string[]) {
    const sub = await db.query.subscriptions.findFirst({ where: eq(subscriptions.id, id) });
    if (!sub || sub.sessionId !== ctx.session.id) {
      throw new SyscallError(`subscription "${id}" not found`);
    }
    subs.push(sub);
  }
  fault("next_event");
  return waitFor(ctx, timeoutArg(args.timeout_ms), async (tx) => {
    for (const sub of subs) {
      const [current] = await tx.select().from(subscriptions).where(eq(subscriptions.id, sub.id));
      if (!current) throw new SyscallError(`subscription "${sub.id}" was removed`);
      const trigger = await tx.query.triggers.findFirst({
        where: eq(triggers.id, sub.destinationId),
      });
      let after = current.cursor;
      for (;;) {
        const rows = await tx.select().from(events)
          .where(and(eq(events.destinationId, sub.destinationId), gt(events.seq, after)))
          .orderBy(asc(events.seq)).limit(SCAN_LIMIT);
        for (const e of rows) {
          // A trigger's own event type and filter apply to its subscribers too.
          if (
            trigger &&
            (!eventTypeMatches(trigger.eventType, e.eventType) || !await filterMatches(trigger, e))
          ) continue;
          const own = await evaluateFilter(current.filter, {
            data: e.data,
            event_type: e.eventType,
          });
          logFilterError(own, { event: e.id, session: ctx.session.id });
          if (!own.match) continue;
          await tx.update(subscriptions).set({ cursor: e.seq })
            .where(eq(subscriptions.id, sub.id));
          return { event_id: e.id, event_type: e.eventType, data: e.data };
        }
        if (rows.length) after = rows[rows.length - 1].seq;
        if (rows.length < SCAN_LIMIT) break;
      }
      // Past the events that do not match, so that the next look does not read them again
      // (kept by an empty look too: see waitFor).
      if (after > current.cursor) {
        await tx.update(subscriptions).set({ cursor: after }).where(eq(subscriptions.id, sub.id));
      }
    }
    return undefined;
  });
}

export function unsubscribe(ctx: SyscallContext, args: Record<string, unknown>): Promise<null> {
  const id = stringArg(args, "id");
  return commit(ctx, async (tx) => {
    await tx.delete(subscriptions).where(
      and(eq(subscriptions.id, id), eq(subscriptions.sessionId, ctx.session.id)),
    );
    return null;
  });
}
