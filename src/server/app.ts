// The daemon's HTTP surface on one port: health, the management API, integrations.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { log } from "../core/log.ts";
import { ApiError, apiRoutes } from "./api/index.ts";
import { requireToken } from "./auth.ts";
import type { Engine } from "./engine.ts";
import { storePublicRoutes } from "./store-public.ts";
import { mountWebUi } from "./web-ui.ts";

export function createApp(engine: Engine, token: string): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json({ error: err.message }, err.status);
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof SyntaxError) {
      return c.json({ error: `bad request body: ${err.message}` }, 400);
    }
    log.error("request failed", { path: c.req.path, error: err.message });
    return c.json({ error: "internal error" }, 500);
  });
  app.get("/healthz", (c) => c.json({ ok: true }));
  mountWebUi(app);
  app.route("/", storePublicRoutes(engine));
  app.use("/api/*", requireToken(token));
  app.route("/api", apiRoutes(engine));
  engine.integrations.mount(app);
  return app;
}
