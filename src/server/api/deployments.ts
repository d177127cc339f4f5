// One deployment: get, activate, deactivate, delete.
import { Hono } from "hono";
import {
  activateDeployment,
  deactivate,
  deleteDeployment,
  deploymentById,
} from "../../core/projects/deployments.ts";
import type { Engine } from "../engine.ts";
import { ApiError } from "./errors.ts";
import { deploymentJson } from "./json.ts";

export function deploymentRoutes(engine: Engine): Hono {
  const api = new Hono();
  const { db } = engine;

  const find = async (id: string) => {
    const d = await deploymentById(db, id);
    if (!d) throw new ApiError(404, `deployment "${id}" not found`);
    return d;
  };

  api.get("/deployments/:id", async (c) => {
    return c.json({ deployment: deploymentJson(await find(c.req.param("id"))) });
  });

  api.post("/deployments/:id/activate", async (c) => {
    const d = await find(c.req.param("id"));
    await activateDeployment(db, d.projectId, d.id);
    return c.json({ deployment: deploymentJson(await find(d.id)) });
  });

  api.post("/deployments/:id/deactivate", async (c) => {
    const d = await find(c.req.param("id"));
    await deactivate(db, d.id);
    return c.json({ deployment: deploymentJson(await find(d.id)) });
  });

  api.delete("/deployments/:id", async (c) => {
    const d = await find(c.req.param("id"));
    if (!(await deleteDeployment(db, d.id))) {
      throw new ApiError(409, `deployment "${d.id}" is ${d.state}; deactivate it first`);
    }
    return c.json({ deleted: d.id });
  });

  return api;
}
