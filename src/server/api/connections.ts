// Connections: list, get (secret vars masked unless revealed) and test.
import { type Context, Hono } from "hono";
import {
  type Connection,
  connectionById,
  connectionByName,
  listConnections,
  withVars,
} from "../../core/projects/connections.ts";
import { projectById } from "../../core/projects/projects.ts";
import { MASK } from "../../core/projects/secrets.ts";
import { varsOf } from "../../core/projects/vars.ts";
import type { Engine } from "../engine.ts";
import { ApiError } from "./errors.ts";
import { iso } from "./json.ts";
import { optionalProject, projectByName } from "./lookup.ts";

// A connection id, "<project>/<name>", or a name with the project given separately.
export async function connectionByRef(
  engine: Engine,
  ref: string,
  project?: string,
): Promise<Connection> {
  let row: Connection | undefined;
  if (ref.startsWith("con_")) {
    row = await connectionById(engine.db, ref);
  } else {
    const slash = ref.indexOf("/");
    const p = await projectByName(engine, slash < 0 ? project : ref.slice(0, slash));
    const name = slash < 0 ? ref : ref.slice(slash + 1);
    row = await connectionByName(engine.db, p.id, name);
  }
  if (!row) throw new ApiError(404, `connection "${ref}" not found`);
  return row;
}

export function connectionRoutes(engine: Engine): Hono {
  const api = new Hono();
  const { db } = engine;

  const summary = (c: Connection, projectName: string) => ({
    connection_id: c.id,
    name: c.name,
    integration: c.integration,
    project_id: c.projectId,
    project: projectName,
    status: engine.integrations.status(c) ?? null,
    created_at: iso(c.createdAt),
  });

  const projectName = async (id: string) => (await projectById(db, id))?.name ?? "";

  const byParam = (c: Context) =>
    connectionByRef(engine, c.req.param("ref")!, c.req.query("project"));

  api.get("/connections", async (c) => {
    const p = await optionalProject(engine, c.req.query("project"));
    const integration = c.req.query("integration");
    const rows = await listConnections(db, { projectId: p?.id, integration });
    return c.json({ connections: rows.map((r) => summary(r.connection, r.project)) });
  });

  api.get("/connections/:ref", async (c) => {
    const row = await byParam(c);
    const reveal = c.req.query("reveal") === "true";
    const stored = await varsOf(db, row.id);
    const [info] = await withVars(db, engine.box, [row]);
    return c.json({
      connection: {
        ...summary(row, await projectName(row.projectId)),
        vars: stored.map((v) => ({
          name: v.name,
          value: v.isSecret ? (reveal ? engine.box.open(v.value) : MASK) : v.value,
          secret: v.isSecret,
          description: v.description,
        })),
        // What handlers find in their environment.
        env: [
          `${row.name}__connection_id`,
          ...stored.map((v) => `${row.name}__${v.name}`),
        ],
        info: engine.integrations.describe(info),
      },
    });
  });

  api.post("/connections/:ref/test", async (c) => {
    const row = await byParam(c);
    const [info] = await withVars(db, engine.box, [row]);
    const result = await engine.integrations.test(info);
    return c.json({ connection_id: row.id, name: row.name, ...result });
  });

  return api;
}
