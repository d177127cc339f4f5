// GET /store/<project_id>/<key>: a published store value as JSON (no token), else 404.
import { Hono } from "hono";
import { publishedValue } from "../core/sessions/syscalls/store.ts";
import type { Engine } from "./engine.ts";

export function storePublicRoutes(engine: Engine): Hono {
  const app = new Hono();
  app.get("/store/:project/:key", async (c) => {
    const found = await publishedValue(
      engine.db,
      engine.box,
      c.req.param("project"),
      c.req.param("key"),
    );
    if (!found) return c.json({ error: "not found" }, 404);
    return c.json(found.value as object);
  });
  return app;
}
