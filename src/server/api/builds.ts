// Builds: list, describe, and download a build's files.
import { Hono } from "hono";
import { buildById, decodeFiles, listBuilds } from "../../core/projects/builds.ts";
import type { Engine } from "../engine.ts";
import { ApiError } from "./errors.ts";
import { buildJson } from "./json.ts";
import { optionalProject } from "./lookup.ts";

export function buildRoutes(engine: Engine): Hono {
  const api = new Hono();
  const { db } = engine;

  const find = async (id: string) => {
    const b = await buildById(db, id);
    if (!b) throw new ApiError(404, `build "${id}" not found`);
    return b;
  };

  api.get("/builds", async (c) => {
    const p = await optionalProject(engine, c.req.query("project"));
    const rows = await listBuilds(db, p?.id);
    return c.json({ builds: rows.map(buildJson) });
  });

  api.get("/builds/:id", async (c) => {
    const b = await find(c.req.param("id"));
    return c.json({
      build: {
        ...buildJson(b),
        files: Object.keys(decodeFiles(b.files)).sort(),
        exports: b.exports,
      },
    });
  });

  // The files as {name: base64}, what `pounce deploy` uploaded.
  api.get("/builds/:id/files", async (c) => {
    const b = await find(c.req.param("id"));
    const files: Record<string, string> = {};
    for (const [name, data] of Object.entries(decodeFiles(b.files))) {
      files[name] = Buffer.from(data).toString("base64");
    }
    return c.json({ build_id: b.id, files });
  });

  return api;
}
