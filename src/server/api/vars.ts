// Vars of a project, or of one of its connections; secrets masked unless revealed.
import { type Context, Hono } from "hono";
import { z } from "zod";
import { MASK } from "../../core/projects/secrets.ts";
import { deleteVar, setVar, varsOf } from "../../core/projects/vars.ts";
import { isSecretVar } from "../../integrations/registry.ts";
import type { Engine } from "../engine.ts";
import { connectionByRef } from "./connections.ts";
import { jsonBody } from "./body.ts";
import { ApiError } from "./errors.ts";
import { projectByName } from "./lookup.ts";

const setBody = z.object({
  name: z.string().optional(),
  value: z.string().optional(),
  secret: z.boolean().optional(),
  description: z.string().optional(),
});

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
    const rows = await varsOf(db, scopeId);
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
    const body = await jsonBody(c, setBody);
    if (!body.name || !/^\w+$/.test(body.name)) {
      throw new ApiError(400, "name: must be letters, digits and underscores only");
    }
    if (typeof body.value !== "string") throw new ApiError(400, "value: required");
    // A var its integration declares secret is secret, whatever the request says.
    const secret = !!body.secret || (!!integration && isSecretVar(integration, body.name));
    await setVar(db, engine.box, scopeId, {
      name: body.name,
      value: body.value,
      secret,
      description: body.description,
    });
    if (integration) await engine.integrations.reload();
    return c.json({ name: body.name, secret });
  });

  api.delete("/vars", async (c) => {
    const { scopeId, integration } = await scopeOf(c);
    const name = c.req.query("name");
    if (!name) throw new ApiError(400, "name: required");
    if (!(await deleteVar(db, scopeId, name))) throw new ApiError(404, `var "${name}" not found`);
    if (integration) await engine.integrations.reload();
    return c.json({ deleted: name });
  });

  return api;
}
