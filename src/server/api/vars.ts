// Vars of a project, or of one of its connections; secrets masked unless revealed.
import { and, eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { vars } from "../../core/db/schema.ts";
import { MASK } from "../../core/secrets.ts";
import { isSecretVar } from "../../integrations/registry.ts";
import type { Engine } from "../engine.ts";
import { connectionByRef } from "./connections.ts";
import { ApiError } from "./errors.ts";
import { projectByName } from "./lookup.ts";

export function varRoutes(engine: Engine): Hono {
  const api = new Hono();
  const { db } = engine;

  // A project, or a connection: its id, "<project>/<name>", or its name with ?project=.
  const scopeOf = async (c: Context) => {
    const conn = c.req.query("connection");
    if (!conn) return { scopeId: (await projectByName(engine, c.req.query("project"))).id };
    const row = await connectionByRef(engine, conn, c.req.query("project"));
    return { scopeId: row.id, integration: row.integration };
  };

  api.get("/vars", async (c) => {
    const { scopeId } = await scopeOf(c);
    const reveal = c.req.query("reveal") === "true";
    const names = c.req.queries("name");
    const rows = await db.select().from(vars).where(eq(vars.scopeId, scopeId)).orderBy(vars.name);
    return c.json({
      vars: rows.filter((v) => !names?.length || names.includes(v.name)).map((v) => ({
        name: v.name,
        value: v.isSecret ? (reveal ? engine.box.open(v.value) : MASK) : v.value,
        secret: v.isSecret,
        description: v.description,
      })),
    });
  });

  api.put("/vars", async (c) => {
    const { scopeId, integration } = await scopeOf(c);
    const body = await c.req.json<
      { name?: string; value?: string; secret?: boolean; description?: string }
    >();
    if (!body.name || !/^\w+$/.test(body.name)) {
      throw new ApiError(400, "name: must be letters, digits and underscores only");
    }
    if (typeof body.value !== "string") throw new ApiError(400, "value: required");
    const t = Date.now();
    // A var its integration declares secret is secret, whatever the request says.
    const secret = !!body.secret || (!!integration && isSecretVar(integration, body.name));
    const row = {
      scopeId,
      name: body.name,
      value: secret ? engine.box.seal(body.value) : body.value,
      isSecret: secret,
      description: body.description,
      createdAt: t,
      updatedAt: t,
    };
    await db.insert(vars).values(row).onConflictDoUpdate({
      target: [vars.scopeId, vars.name],
      set: { value: row.value, isSecret: row.isSecret, description: row.description, updatedAt: t },
    });
    if (integration) await engine.integrations.reload();
    return c.json({ name: body.name, secret: row.isSecret });
  });

  api.delete("/vars", async (c) => {
    const { scopeId, integration } = await scopeOf(c);
    const name = c.req.query("name");
    if (!name) throw new ApiError(400, "name: required");
    const deleted = await db.delete(vars).where(and(eq(vars.scopeId, scopeId), eq(vars.name, name)))
      .returning();
    if (!deleted.length) throw new ApiError(404, `var "${name}" not found`);
    if (integration) await engine.integrations.reload();
    return c.json({ deleted: name });
  });

  return api;
}
