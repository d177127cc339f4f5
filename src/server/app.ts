// The daemon's HTTP surface on one port: health, the management API, integrations.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { log } from "../core/util/log.ts";
import { mountMetrics, observeWebhooks } from "../observability/http.ts";
import { ApiError, apiRoutes } from "./api/index.ts";
import { requireToken } from "./auth.ts";
import type { Engine } from "./engine.ts";
import { type HostCheck, requireKnownHost } from "./host-check.ts";
import { storePublicRoutes } from "./store-public.ts";
import type { SignInCodes } from "./ui-codes.ts";
import { mountUiSession, signInCodeRoutes } from "./ui-session.ts";
import { mountWebUi } from "./web-ui.ts";
import { mountOAuth } from "../integrations/oauth/routes.ts";

// Everything but the UI's own files is served as if from a unique, opaque origin: a
// webhook handler that echoes input as HTML runs no script in the UI's origin, so it
// cannot reach the UI's cookie, storage or the API as the signed-in user. Scripts,
// forms and pop-ups still work inside that sandbox.
const SANDBOX = "sandbox allow-scripts allow-forms allow-popups";

const isUi = (path: string) => path === "/" || path.startsWith("/ui/");

// A body read that failed because the client went away. Node aborts the request's signal
// first; Deno's node:http does not, and only the read's error ("aborted") says so.
function hungUp(err: Error): boolean {
  const code = (err as { code?: string }).code;
  return err.message === "aborted" || code === "ECONNRESET" ||
    code === "ERR_STREAM_PREMATURE_CLOSE";
}

export function createApp(
  engine: Engine,
  token: string,
  knownHost: HostCheck,
  codes: SignInCodes,
): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    if (c.req.raw.signal.aborted || hungUp(err)) {
      // The client hung up (mid-body, or before the answer): nothing to answer.
      log.debug("request aborted", { method: c.req.method, path: c.req.path });
      return c.body(null, 400);
    }
    if (err instanceof ApiError) return c.json({ error: err.message }, err.status);
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof SyntaxError) {
      return c.json({ error: `bad request body: ${err.message}` }, 400);
    }
    log.error("request failed", { path: c.req.path, error: err.message });
    return c.json({ error: "internal error" }, 500);
  });
  app.use("*", async (c, next) => {
    await next();
    if (isUi(c.req.path)) return;
    // Appended: a handler's own policy, if it sets one, applies as well.
    c.res.headers.append("content-security-policy", SANDBOX);
    c.res.headers.set("x-content-type-options", "nosniff");
  });
  app.get("/healthz", (c) => c.json({ ok: true }));
  const known = requireKnownHost(knownHost);
  app.use("/", known);
  app.use("/ui/*", known);
  app.use("/api/*", known);
  mountWebUi(app);
  mountUiSession(app, token, codes, engine.dataDir);
  app.route("/", storePublicRoutes(engine));
  app.use("/api/*", requireToken(token));
  app.route("/api", apiRoutes(engine));
  mountMetrics(app, known, requireToken(token));
  app.use("/webhooks/*", observeWebhooks);
  app.route("/api", signInCodeRoutes(codes));
  engine.integrations.mount(app);
  mountOAuth(app, engine.oauth, () => engine.integrations.reload());
  return app;
}
