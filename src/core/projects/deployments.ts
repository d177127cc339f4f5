// Deployments: finding them, and their states' changes. A deployment is created
// inactive (deploy.ts) and activated; activating another drains it, as deactivating does:
// it goes on running the sessions it started ("draining") and retires (inactive) once the
// last has ended, at once when there is none. Only an inactive deployment is deleted.
import { and, desc, eq, inArray } from "drizzle-orm";
import { now } from "../util/clock.ts";
import { configCache, writeConfig } from "./config-cache.ts";
import { configChanged } from "./config-changed.ts";
import type { Db } from "../db/client.ts";
import type { Tx } from "../db/tx.ts";
import { groupCommit } from "../db/group-commit.ts";
import { deployments, sessions } from "../db/schema.ts";
import { LIVE_STATES } from "../sessions/rows.ts";

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

// Whether the deployment has sessions that have not ended.
async function hasLiveSessions(tx: Db | Tx, id: string): Promise<boolean> {
  const busy = await tx.query.sessions.findFirst({
    where: and(eq(sessions.deploymentId, id), inArray(sessions.state, LIVE_STATES)),
  });
  return busy !== undefined;
}

// A deployment stops receiving events: it drains while it still has live sessions, else
// it becomes inactive.
async function drain(tx: Db | Tx, id: string, t: number): Promise<void> {
  const busy = await hasLiveSessions(tx, id);
  await tx.update(deployments).set({ state: busy ? "draining" : "inactive", updatedAt: t })
    .where(eq(deployments.id, id));
}

// Makes a deployment the project's active one; the project's other active deployments
// drain.
export async function activate(
  tx: Tx | Db,
  projectId: string,
  deploymentId: string,
): Promise<void> {
  const t = now();
  const active = await tx.select().from(deployments)
    .where(and(eq(deployments.projectId, projectId), eq(deployments.state, "active")));
  for (const d of active) {
    if (d.id !== deploymentId) await drain(tx, d.id, t);
  }
  await tx.update(deployments).set({ state: "active", updatedAt: t }).where(
    eq(deployments.id, deploymentId),
  );
}

// Activates a deployment in its own transaction (see activate).
export async function activateDeployment(
  db: Db,
  projectId: string,
  deploymentId: string,
): Promise<void> {
  await writeConfig(db, () => db.transaction((tx) => activate(tx, projectId, deploymentId)));
  configChanged(db).raise("activate");
}

// An active deployment stops receiving events (see drain); an inactive or draining one
// is left as it is.
export async function deactivate(db: Db, id: string): Promise<void> {
  await writeConfig(db, () =>
    db.transaction(async (tx) => {
      const d = await tx.query.deployments.findFirst({ where: eq(deployments.id, id) });
      if (!d || d.state === "inactive" || d.state === "draining") return;
      await drain(tx, id, now());
    }));
  configChanged(db).raise("deactivate");
}

// A draining deployment becomes inactive once its last session has ended (called as
// each of its sessions ends).
export async function retireIfDrained(db: Db, deploymentId: string): Promise<void> {
  if (await deploymentState(db, deploymentId) !== "draining") return;
  if (!await hasLiveSessions(db, deploymentId)) {
    await writeConfig(
      db,
      () =>
        groupCommit(db).write(
          (tx) =>
            tx.update(deployments).set({ state: "inactive", updatedAt: now() }).where(
              eq(deployments.id, deploymentId),
            ),
          { isolated: true },
        ),
    );
  }
}

// Deletes an inactive deployment; returns false when it is not inactive.
export async function deleteDeployment(db: Db, id: string): Promise<boolean> {
  const deleted = await writeConfig(
    db,
    () =>
      groupCommit(db).write((tx) =>
        tx.delete(deployments)
          .where(and(eq(deployments.id, id), eq(deployments.state, "inactive"))).returning(), {
        isolated: true,
      }),
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
