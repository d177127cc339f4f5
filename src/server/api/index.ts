// The JSON management API under /api, which the CLI uses. One module per resource.
import { Hono } from "hono";
import { VERSION } from "../../version.ts";
import type { Engine } from "../engine.ts";
import { backupRoutes } from "./backup.ts";
import { buildRoutes } from "./builds.ts";
import { connectionRoutes } from "./connections.ts";
import { deployRoutes } from "./deploy.ts";
import { deploymentRoutes } from "./deployments.ts";
import { dispatchRoutes } from "./dispatch.ts";
import { eventRoutes } from "./events.ts";
import { projectAdminRoutes } from "./project-admin.ts";
import { projectRoutes } from "./projects.ts";
import { sessionControlRoutes } from "./session-control.ts";
import { sessionRoutes } from "./sessions.ts";
import { uiReadRoutes } from "./ui-reads.ts";
import { varRoutes } from "./vars.ts";
import { venvRoutes } from "./venvs.ts";

export { ApiError } from "./errors.ts";

export function apiRoutes(engine: Engine): Hono {
  const api = new Hono();
  api.get("/version", (c) => c.json({ version: VERSION, runtime: engine.runtime }));
  for (
    const routes of [
      deployRoutes,
      projectRoutes,
      sessionRoutes,
      sessionControlRoutes,
      varRoutes,
      eventRoutes,
      dispatchRoutes,
      venvRoutes,
      projectAdminRoutes,
      deploymentRoutes,
      buildRoutes,
      connectionRoutes,
      backupRoutes,
      uiReadRoutes,
    ]
  ) {
    api.route("/", routes(engine));
  }
  return api;
}
