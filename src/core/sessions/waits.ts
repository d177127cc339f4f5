// What a session waits for, in words: "sleeping until …", "waiting for an event on
// `decisions` (filter …)", "waiting for a signal". Shown in `session get/list` (state
// `running (waiting: …)`) and logged as a `wait` record when a wait goes idle.
import { eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { subscriptions } from "../db/schema.ts";
import { sourceNames } from "../event-search.ts";
import { pendingStep } from "./journal.ts";

// A wait as a run knows it: the syscall (or sleep), its subscriptions, its deadline.
export type Wait = { op: string; subscriptionIds: string[]; until: number | null };

const iso = (ms: number) => new Date(ms).toISOString();

export async function describeWait(db: Db, w: Wait): Promise<string> {
  const until = w.until === null ? "" : ` until ${iso(w.until)}`;
  if (w.op === "sleep") return `sleeping${until}`;
  if (w.op === "next_signal") return `waiting for a signal${until}`;
  if (w.op !== "next_event") return `waiting in ${w.op}${until}`;
  const subs = w.subscriptionIds.length
    ? await db.select({ destinationId: subscriptions.destinationId, filter: subscriptions.filter })
      .from(subscriptions).where(inArray(subscriptions.id, w.subscriptionIds))
    : [];
  const names = await sourceNames(db, subs.map((s) => s.destinationId));
  const on = subs.map((s) => {
    const name = `\`${names.get(s.destinationId) ?? s.destinationId}\``;
    return s.filter ? `${name} (filter ${s.filter})` : name;
  });
  return `waiting for an event${on.length ? ` on ${on.join(" or ")}` : ""}${until}`;
}

// A hibernated session's wait, from its journal's pending step (null: none recorded).
export async function describeHibernatedWait(
  db: Db,
  sessionId: string,
  wakeAt: number | null,
): Promise<string | null> {
  const step = await pendingStep(db, sessionId);
  if (!step) return wakeAt ? `sleeping until ${iso(wakeAt)}` : null;
  const subscriptionIds = step.kind === "next_event"
    ? (await db.select({ id: subscriptions.id }).from(subscriptions)
      .where(eq(subscriptions.sessionId, sessionId))).map((r) => r.id)
    : [];
  return await describeWait(db, { op: step.kind, subscriptionIds, until: step.deadline });
}
