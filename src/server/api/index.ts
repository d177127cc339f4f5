// The JSON management API under /api, which the CLI uses. One module per resource.
import { Hono } from "hono";
import { VERSION } from "../../version.ts";
import type { Engine } from "../engine.ts";
import { deployRoutes } from "./deploy.ts";
import { eventRoutes } from "./events.ts";
import { projectRoutes } from "./projects.ts";
import { sessionRoutes } from "./sessions.ts";
import { varRoutes } from "./vars.ts";

export { ApiError } from "./errors.ts";

export function apiRoutes(engine: Engine): Hono {
  const api = new Hono();
  api.get("/version", (c) => c.json({ version: VERSION, runtime: engine.runtime }));
  for (const routes of [deployRoutes, projectRoutes, sessionRoutes, varRoutes, eventRoutes]) {
    api.route("/", routes(engine));
  }
  return api;
}
