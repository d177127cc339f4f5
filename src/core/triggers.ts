// Finding triggers (deploy.ts writes them, from the manifest).
import { and, eq } from "drizzle-orm";
import { configCache } from "./config-cache.ts";
import type { Db } from "./db/client.ts";
import type { Tx } from "./db/group-commit.ts";
import { triggers } from "./db/schema.ts";

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
