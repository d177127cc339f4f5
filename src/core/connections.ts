// Connections with their vars, secrets opened: what integrations route events by and what
// they talk to services with.
import { eq, inArray } from "drizzle-orm";
import type { Db } from "./db/client.ts";
import { connections, vars } from "./db/schema.ts";
import type { SecretBox } from "./secrets.ts";

export type ConnectionWithVars = typeof connections.$inferSelect & {
  vars: Record<string, string>;
};

export async function withVars(
  db: Db,
  box: SecretBox,
  rows: (typeof connections.$inferSelect)[],
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
