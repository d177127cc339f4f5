// Stored events.
import { Hono } from "hono";
import type { Engine } from "../engine.ts";
import { ApiError } from "./errors.ts";
import { eventJson } from "./json.ts";
import { optionalProject } from "./lookup.ts";

export function eventRoutes(engine: Engine): Hono {
  const api = new Hono();

  api.get("/events", async (c) => {
    const p = await optionalProject(engine, c.req.query("project"));
    const rows = await engine.events.list({ projectId: p?.id, eventType: c.req.query("type") });
    return c.json({ events: rows.map(eventJson) });
  });

  api.get("/events/:id", async (c) => {
    const e = await engine.events.get(c.req.param("id"));
    if (!e) throw new ApiError(404, `event "${c.req.param("id")}" not found`);
    return c.json({ event: eventJson(e) });
  });

  return api;
}
