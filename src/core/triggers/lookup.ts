// Finding triggers (deploy.ts writes them, from the manifest).
import { and, eq, inArray, isNull, lt, or } from "drizzle-orm";
import { configCache } from "../projects/config-cache.ts";
import type { Db } from "../db/client.ts";
import type { Tx } from "../db/tx.ts";
import { triggers } from "../db/schema.ts";

export type Trigger = typeof triggers.$inferSelect;

// The trigger of a webhook slug (cached: see config-cache.ts).
export function webhookTrigger(db: Db, slug: string): Promise<Trigger | undefined> {
  return configCache(db).get(`webhook:${slug}`, async () => {
    const [t] = await db.select().from(triggers).where(eq(triggers.webhookSlug, slug));
    return t as Trigger | undefined;
  });
}

export function triggerByName(
  db: Db | Tx,
  projectId: string,
  name: string,
): Promise<Trigger | undefined> {
  return db.query.triggers.findFirst({
    where: and(eq(triggers.projectId, projectId), eq(triggers.name, name)),
  });
}

// Triggers by name; of one project when given.
export function listTriggers(db: Db, projectId?: string): Promise<Trigger[]> {
  return db.select().from(triggers).where(projectId ? eq(triggers.projectId, projectId) : undefined)
    .orderBy(triggers.name);
}

// Every schedule trigger (the scheduler arms one job each).
export function scheduleTriggers(db: Db): Promise<Trigger[]> {
  return db.select().from(triggers).where(eq(triggers.sourceType, "schedule"));
}

// The triggers of these projects.
export function triggersOfProjects(db: Db, projectIds: string[]): Promise<Trigger[]> {
  return db.select().from(triggers).where(inArray(triggers.projectId, projectIds));
}

// Claims one tick of a schedule trigger for this node: true for exactly one caller per
// tick across every daemon on the database (compare-and-set on last_tick_at), and only
// while the trigger still has the schedule the job was armed with.
export async function claimScheduleTick(
  tx: Tx,
  tick: { triggerId: string; schedule: string; timezone: string | null; at: number },
): Promise<{ projectId: string } | undefined> {
  const [claimed] = await tx.update(triggers).set({ lastTickAt: tick.at })
    .where(and(
      eq(triggers.id, tick.triggerId),
      eq(triggers.schedule, tick.schedule),
      tick.timezone === null ? isNull(triggers.timezone) : eq(triggers.timezone, tick.timezone),
      or(isNull(triggers.lastTickAt), lt(triggers.lastTickAt, tick.at)),
    ))
    .returning({ projectId: triggers.projectId });
  return claimed;
}
