// Connections with their vars, secrets opened: what integrations route events by and what
// they talk to services with.
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { Tx } from "../db/tx.ts";
import { connections, projects, vars } from "../db/schema.ts";
import type { SecretBox } from "./secrets.ts";

export type Connection = typeof connections.$inferSelect;

export type ConnectionWithVars = Connection & {
  vars: Record<string, string>;
};

export function connectionById(db: Db, id: string): Promise<Connection | undefined> {
  return db.query.connections.findFirst({ where: eq(connections.id, id) });
}

export function connectionByName(
  db: Db | Tx,
  projectId: string,
  name: string,
): Promise<Connection | undefined> {
  return db.query.connections.findFirst({
    where: and(eq(connections.projectId, projectId), eq(connections.name, name)),
  });
}

// Connections with their project's name, by project name then name; of one project and
// of one integration when given.
export async function listConnections(
  db: Db,
  filter: { projectId?: string; integration?: string },
): Promise<{ connection: Connection; project: string }[]> {
  const rows = await db.select({ c: connections, project: projects.name }).from(connections)
    .innerJoin(projects, eq(projects.id, connections.projectId))
    .where(and(
      filter.projectId ? eq(connections.projectId, filter.projectId) : undefined,
      filter.integration ? eq(connections.integration, filter.integration) : undefined,
    ))
    .orderBy(projects.name, connections.name);
  return rows.map((r) => ({ connection: r.c, project: r.project }));
}

export function projectConnections(db: Db, projectId: string): Promise<Connection[]> {
  return db.select().from(connections).where(eq(connections.projectId, projectId));
}

// The ids of every connection of an integration, in every project.
export async function connectionIdsOf(db: Db, integration: string): Promise<string[]> {
  const rows = await db.select({ id: connections.id }).from(connections)
    .where(eq(connections.integration, integration));
  return rows.map((r) => r.id);
}

export async function withVars(
  db: Db,
  box: SecretBox,
  rows: Connection[],
): Promise<ConnectionWithVars[]> {
  if (!rows.length) return [];
  const all = await db.select().from(vars).where(inArray(vars.scopeId, rows.map((r) => r.id)));
  return rows.map((r) => {
    const values: Record<string, string> = {};
    for (const v of all) {
      if (v.scopeId === r.id) values[v.name] = v.isSecret ? box.open(v.value) : v.value;
    }
    return { ...r, vars: values };
  });
}

// Every connection of an integration, in every project.
export async function connectionsOf(
  db: Db,
  box: SecretBox,
  integration: string,
): Promise<ConnectionWithVars[]> {
  const rows = await db.select().from(connections).where(eq(connections.integration, integration));
  return withVars(db, box, rows);
}
