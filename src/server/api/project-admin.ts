// One project: create, get, delete (the list is in projects.ts).
import { Hono } from "hono";
import { createProject, deleteProject, ProjectError } from "../../core/projects.ts";
import type { Engine } from "../engine.ts";
import { ApiError } from "./errors.ts";
import { projectJson } from "./json.ts";
import { projectByName } from "./lookup.ts";

function apiError(err: unknown): never {
  if (err instanceof ProjectError) throw new ApiError(err.kind === "bad" ? 400 : 409, err.message);
  throw err;
}

export function projectAdminRoutes(engine: Engine): Hono {
  const api = new Hono();

  api.post("/projects", async (c) => {
    const body = await c.req.json<{ name?: unknown; display_name?: unknown }>();
    if (typeof body.name !== "string") throw new ApiError(400, "name: required");
    if (body.display_name !== undefined && typeof body.display_name !== "string") {
      throw new ApiError(400, "display_name: must be a string");
    }
    const p = await createProject(engine.db, body.name, body.display_name).catch(apiError);
    return c.json({ project: projectJson(p) }, 201);
  });

  api.get("/projects/:ref", async (c) => {
    return c.json({ project: projectJson(await projectByName(engine, c.req.param("ref"))) });
  });

  api.delete("/projects/:ref", async (c) => {
    const p = await projectByName(engine, c.req.param("ref"));
    await deleteProject(engine.db, p).catch(apiError);
    return c.json({ deleted: p.id });
  });

  return api;
}
