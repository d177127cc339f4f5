// GET /api/doctor, GET /api/venvs, POST /api/venvs/prune[?dry_run=1].
import { Hono } from "hono";
import { environmentJson, venvJson } from "../../pythonrt/environment.ts";
import { venvUsage } from "../../pythonrt/venv-usage.ts";
import { VERSION } from "../../version.ts";
import type { Engine } from "../engine.ts";

export function venvRoutes(engine: Engine): Hono {
  const api = new Hono();
  const { db, venvs } = engine;

  api.get("/doctor", async (c) => {
    const usage = await venvUsage(db, venvs);
    return c.json({
      daemon: { version: VERSION, runtime: engine.runtime, url: engine.serviceUrl() },
      ...environmentJson(engine.dataDir, engine.python, venvs.root, usage, venvs.batteries),
    });
  });

  api.get("/venvs", async (c) => {
    const usage = await venvUsage(db, venvs);
    return c.json({ venvs: venvs.list().map((v) => venvJson(v, usage)) });
  });

  api.post("/venvs/prune", async (c) => {
    const dryRun = ["1", "true"].includes(c.req.query("dry_run") ?? "");
    const removed = await venvs.prune(
      async () => new Set((await venvUsage(db, venvs)).keys()),
      dryRun,
    );
    return c.json({ removed, dry_run: dryRun });
  });

  return api;
}
