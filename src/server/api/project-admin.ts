// One project: create, get, delete (the list is in projects.ts).
import { Hono } from "hono";
import { z } from "zod";
import { createProject, deleteProject, ProjectError } from "../../core/projects/projects.ts";
import type { Engine } from "../engine.ts";
import { jsonBody } from "./body.ts";
import { ApiError } from "./errors.ts";
import { projectJson } from "./json.ts";
import { projectByName } from "./lookup.ts";

function apiError(err: unknown): never {
  if (err instanceof ProjectError) throw new ApiError(err.kind === "bad" ? 400 : 409, err.message);
  throw err;
}

const createBody = z.object({ name: z.string(), display_name: z.string().optional() });

export function projectAdminRoutes(engine: Engine): Hono {
  const api = new Hono();

  api.post("/projects", async (c) => {
    const body = await jsonBody(c, createBody);
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
