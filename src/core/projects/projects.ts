// Projects: finding them, and creating and deleting them outside a manifest
// (`pounce project create|delete`).
import { and, eq, inArray } from "drizzle-orm";
import { now } from "../util/clock.ts";
import { writeConfig } from "./config-cache.ts";
import { configChanged } from "./config-changed.ts";
import { type Db, foreignKeysEnforced } from "../db/client.ts";
import type { Tx } from "../db/tx.ts";
import { groupCommit } from "../db/group-commit.ts";
import {
  builds,
  connections,
  deployments,
  events,
  projects,
  sessions,
  storeValues,
  triggers,
  vars,
} from "../db/schema.ts";
import { newId } from "../util/ids.ts";
import { deleteSessionChildren } from "../sessions/delete.ts";

export type Project = typeof projects.$inferSelect;

export const PROJECT_NAME = /^\w+$/;

// A project by id ("prj_…") or by name.
export function projectByRef(db: Db, ref: string): Promise<Project | undefined> {
  return db.query.projects.findFirst({
    where: ref.startsWith("prj_") ? eq(projects.id, ref) : eq(projects.name, ref),
  });
}

export function projectById(db: Db, id: string): Promise<Project | undefined> {
  return db.query.projects.findFirst({ where: eq(projects.id, id) });
}

export function projectByName(db: Db | Tx, name: string): Promise<Project | undefined> {
  return db.query.projects.findFirst({ where: eq(projects.name, name) });
}

// Every project, by name.
export function allProjects(db: Db): Promise<Project[]> {
  return db.select().from(projects).orderBy(projects.name);
}

export class ProjectError extends Error {
  constructor(readonly kind: "bad" | "conflict", message: string) {
    super(message);
  }
}

export async function createProject(db: Db, name: string, displayName?: string): Promise<Project> {
  if (!PROJECT_NAME.test(name)) {
    throw new ProjectError("bad", "name: must be letters, digits and underscores only");
  }
  const t = now();
  const row = {
    id: newId("prj"),
    name,
    displayName: displayName ?? null,
    createdAt: t,
    updatedAt: t,
  };
  const [created] = await writeConfig(
    db,
    () =>
      groupCommit(db).write(
        (tx) => tx.insert(projects).values(row).onConflictDoNothing().returning(),
        { isolated: true },
      ),
  );
  if (!created) throw new ProjectError("conflict", `project "${name}" already exists`);
  return created;
}

// Deletes a project and everything that belongs to it, in one transaction. Refused while
// one of its sessions has not ended.
export async function deleteProject(db: Db, project: Project): Promise<void> {
  await writeConfig(db, () =>
    db.transaction(async (tx) => {
      const live = await tx.query.sessions.findFirst({
        where: and(
          eq(sessions.projectId, project.id),
          inArray(sessions.state, ["created", "running"]),
        ),
      });
      if (live) {
        throw new ProjectError(
          "conflict",
          `project "${project.name}" has sessions that have not ended (e.g. ${live.id}); stop them first`,
        );
      }
      // vars.scope_id names a project or a connection: no foreign key, deleted here.
      const connectionIds = tx.select({ id: connections.id }).from(connections)
        .where(eq(connections.projectId, project.id));
      await tx.delete(vars).where(inArray(vars.scopeId, connectionIds));
      await tx.delete(vars).where(eq(vars.scopeId, project.id));
      // events.project_id may be null (an event no project took): no foreign key either.
      await tx.delete(events).where(eq(events.projectId, project.id));
      // The rest cascades from the project row (schema.ts), but not on a libSQL server.
      if (!foreignKeysEnforced(db)) await deleteChildrenByHand(tx, project.id);
      await tx.delete(projects).where(eq(projects.id, project.id));
    }));
  configChanged(db).raise("delete_project");
}

// What the foreign keys' cascades delete with a project where they are enforced.
async function deleteChildrenByHand(tx: Tx, projectId: string): Promise<void> {
  const sessionIds = tx.select({ id: sessions.id }).from(sessions)
    .where(eq(sessions.projectId, projectId));
  await deleteSessionChildren(tx, sessionIds);
  await tx.delete(sessions).where(eq(sessions.projectId, projectId));
  await tx.delete(connections).where(eq(connections.projectId, projectId));
  await tx.delete(triggers).where(eq(triggers.projectId, projectId));
  await tx.delete(deployments).where(eq(deployments.projectId, projectId));
  await tx.delete(builds).where(eq(builds.projectId, projectId));
  await tx.delete(storeValues).where(eq(storeValues.projectId, projectId));
}
