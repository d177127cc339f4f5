// GitHub's deliveries: POST /github/webhook for GitHub Apps (routed by app id and
// installation id) and POST /github/webhook/<pat_key> for a repository or organization
// webhook of a PAT connection. A delivery is verified with the secret of the connections
// it is for before anything is stored; bad ones get 400/403 and start nothing.
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { connectionsOf, type ConnectionWithVars } from "../../core/connections.ts";
import { log } from "../../core/log.ts";
import { deliver } from "../deliver.ts";
import { remember, seen } from "../replay-guard.ts";
import type { IntegrationContext } from "../types.ts";
import { githubEvents } from "./events.ts";
import { readSignature, signatureMatches } from "./verify.ts";

// GitHub caps payloads at 25 MB.
const MAX_BODY = 25 << 20;
// A delivery (by its X-GitHub-Delivery id) is taken once; resent within this time, 409.
const KEEP_DELIVERY_MS = 7 * 24 * 3600_000;

export function mountGitHubRoutes(app: Hono, ctx: IntegrationContext): void {
  const limit = bodyLimit({
    maxSize: MAX_BODY,
    onError: (c) => c.json({ error: `body larger than ${MAX_BODY} bytes` }, 413),
  });
  app.post("/github/webhook", limit, (c) => receive(c, ctx, undefined));
  app.post("/github/webhook/:key", limit, (c) => receive(c, ctx, c.req.param("key")));
}

function parsePayload(contentType: string, text: string): Record<string, unknown> {
  const json = contentType === "application/x-www-form-urlencoded"
    ? new URLSearchParams(text).get("payload") ?? ""
    : text;
  const payload = JSON.parse(json);
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
    throw new Error("not an object");
  }
  return payload;
}

type Routing = {
  candidates: ConnectionWithVars[];
  secretOf: (c: ConnectionWithVars) => string | undefined;
};

function patRouting(all: ConnectionWithVars[], key: string): Routing {
  return {
    candidates: all.filter((c) => c.vars.pat_key === key),
    secretOf: (c) => c.vars.pat_secret || undefined,
  };
}

function appRouting(all: ConnectionWithVars[], appId: string, installId: string): Routing {
  return {
    candidates: all.filter((c) =>
      (c.vars.app_id === appId && c.vars.install_id === installId) ||
      `install_key__${appId}__${installId}` in c.vars
    ),
    secretOf: (c) =>
      c.vars.webhook_secret || c.vars.client_secret || process.env.GITHUB_WEBHOOK_SECRET ||
      undefined,
  };
}

async function receive(
  c: Context,
  ctx: IntegrationContext,
  patKey: string | undefined,
): Promise<Response> {
  const eventType = c.req.header("x-github-event") ?? "";
  if (!/^\w+$/.test(eventType)) return c.json({ error: "missing X-GitHub-Event" }, 400);
  const signature = readSignature(c.req.raw.headers);
  if (!signature) return c.json({ error: "missing X-Hub-Signature-256" }, 400);
  const contentType = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (contentType !== "application/json" && contentType !== "application/x-www-form-urlencoded") {
    return c.json({ error: "content type must be application/json" }, 400);
  }
  const body = new Uint8Array(await c.req.arrayBuffer());
  let payload: Record<string, unknown>;
  try {
    payload = parsePayload(contentType, new TextDecoder().decode(body));
  } catch {
    return c.json({ error: "malformed payload" }, 400);
  }

  const all = await connectionsOf(ctx.db, ctx.box, "github");
  let routing: Routing;
  if (patKey !== undefined) {
    routing = patRouting(all, patKey);
  } else {
    const installation = payload.installation as { id?: unknown } | undefined;
    const installId = installation?.id === undefined ? "" : String(installation.id);
    if (!installId) {
      if (eventType === "ping") return c.body(null, 200);
      return c.json({ error: "no installation in the payload" }, 400);
    }
    const appId = c.req.header("x-github-hook-installation-target-id") ?? "";
    routing = appRouting(all, appId, installId);
  }
  if (!routing.candidates.some(routing.secretOf)) {
    // As AutoKitteh: a delivery no connection is configured for is acknowledged, ignored.
    log.debug("github: no connection for this delivery", { event_type: eventType });
    return c.body(null, 200);
  }
  const verified = routing.candidates.filter((conn) => {
    const secret = routing.secretOf(conn);
    return !!secret && signatureMatches(secret, signature, body);
  });
  if (!verified.length) return c.json({ error: "bad signature" }, 403);
  const key = `github:${c.req.header("x-github-delivery") || signature.value}`;
  if (await seen(ctx.db, key)) return c.json({ error: "replayed delivery: already received" }, 409);
  for (const e of githubEvents(eventType, payload)) {
    await deliver(ctx, verified, e.eventType, e.data);
  }
  await remember(ctx.db, key, KEEP_DELIVERY_MS);
  return c.body(null, 200);
}
