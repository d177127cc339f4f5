// GET /store/<project_id>/<key>: a published store value as JSON (no token), else 404.
import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { storeValues } from "../core/db/schema.ts";
import type { Engine } from "./engine.ts";

export function storePublicRoutes(engine: Engine): Hono {
  const app = new Hono();
  app.get("/store/:project/:key", async (c) => {
    const row = await engine.db.query.storeValues.findFirst({
      where: and(
        eq(storeValues.projectId, c.req.param("project")),
        eq(storeValues.key, c.req.param("key")),
      ),
    });
    if (!row?.published) return c.json({ error: "not found" }, 404);
    return c.json(JSON.parse(engine.box.openText(row.value)) as object);
  });
  return app;
}
