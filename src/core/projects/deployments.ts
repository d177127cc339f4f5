// Deployments: finding them, and state changes besides activation (which is in
// deploy.ts): deactivate, delete.
import { and, desc, eq, inArray } from "drizzle-orm";
import { now } from "../util/clock.ts";
import { configCache, writeConfig } from "./config-cache.ts";
import { configChanged } from "./config-changed.ts";
import type { Db } from "../db/client.ts";
import type { Tx } from "../db/tx.ts";
import { deployments, sessions } from "../db/schema.ts";

export type Deployment = typeof deployments.$inferSelect;
export type { DeploymentState } from "../db/schema.ts";

export function deploymentById(db: Db, id: string): Promise<Deployment | undefined> {
  return db.query.deployments.findFirst({ where: eq(deployments.id, id) });
}

// Deployments, newest first; of one project when given.
export function listDeployments(db: Db, projectId?: string): Promise<Deployment[]> {
  return db.select().from(deployments)
    .where(projectId ? eq(deployments.projectId, projectId) : undefined)
    .orderBy(desc(deployments.createdAt), desc(deployments.id));
}

// The project's active deployment, read now (activeDeployments is the cached list).
export function activeDeployment(db: Db | Tx, projectId: string): Promise<Deployment | undefined> {
  return db.query.deployments.findFirst({
    where: and(eq(deployments.projectId, projectId), eq(deployments.state, "active")),
  });
}

// An active deployment stops receiving events: it drains while it still has sessions that
// have not ended, else it becomes inactive.
export async function deactivate(db: Db, id: string): Promise<void> {
  await writeConfig(db, () =>
    db.transaction(async (tx) => {
      const d = await tx.query.deployments.findFirst({ where: eq(deployments.id, id) });
      if (!d || d.state === "inactive" || d.state === "draining") return;
      const busy = await tx.query.sessions.findFirst({
        where: and(eq(sessions.deploymentId, id), inArray(sessions.state, ["created", "running"])),
      });
      await tx.update(deployments).set({ state: busy ? "draining" : "inactive", updatedAt: now() })
        .where(eq(deployments.id, id));
    }));
  configChanged(db).raise("deactivate");
}

// Deletes an inactive deployment; returns false when it is not inactive.
export async function deleteDeployment(db: Db, id: string): Promise<boolean> {
  const deleted = await writeConfig(
    db,
    () =>
      db.delete(deployments)
        .where(and(eq(deployments.id, id), eq(deployments.state, "inactive"))).returning(),
  );
  if (deleted.length) configChanged(db).raise("delete_deployment");
  return deleted.length > 0;
}

// Every project's active deployments.
export function allActiveDeployments(db: Db): Promise<Deployment[]> {
  return db.select().from(deployments).where(eq(deployments.state, "active"));
}

// The project's active deployments (cached: see config-cache.ts).
export function activeDeployments(db: Db, projectId: string): Promise<Deployment[]> {
  return configCache(db).get(
    `active:${projectId}`,
    () =>
      db.select().from(deployments)
        .where(and(eq(deployments.projectId, projectId), eq(deployments.state, "active"))),
  );
}

// A deployment's state (cached), undefined when there is no such deployment.
export async function deploymentState(
  db: Db,
  id: string,
): Promise<Deployment["state"] | undefined> {
  return await configCache(db).get(`state:${id}`, async () => {
    const [d] = await db.select({ state: deployments.state }).from(deployments)
      .where(eq(deployments.id, id));
    return d?.state;
  });
}
