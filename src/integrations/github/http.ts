// GitHub's deliveries: POST /github/webhook for GitHub Apps (routed by app id and
// installation id) and POST /github/webhook/<pat_key> for a repository or organization
// webhook of a PAT connection. GitHub signs the body only, so a delivery is handled in
// this order: the connections it may be for, from its URL or app id header; its body read
// (bounded, see unverified-body.ts) and its signature checked with their secrets; only
// then parsed. A signed body is taken once (see replay-guard.ts), whatever its unsigned
// headers say: a copy with a new X-GitHub-Delivery or another X-GitHub-Event is refused.
// The event type itself comes from the unsigned X-GitHub-Event header: whoever sends a
// signed body first (GitHub, over TLS) decides it. Bad deliveries get 4xx and start
// nothing.
import type { Context, Hono } from "hono";
import { connectionsOf, type ConnectionWithVars } from "../../core/projects/connections.ts";
import { log } from "../../core/util/log.ts";
import { deliver } from "../deliver.ts";
import { ReplayGuard, replayKey } from "../replay-guard.ts";
import type { IntegrationContext } from "../types.ts";
import { readUnverified } from "../unverified-body.ts";
import { githubEvents } from "./events.ts";
import { deliveryMac, readSignature, signatureMatches } from "./verify.ts";

// GitHub caps payloads at 25 MB.
const MAX_BODY = 25 << 20;
// A signed body is taken once; resent within this time, 409. GitHub signs no timestamp,
// so after this a replay is accepted again.
const KEEP_DELIVERY_MS = 7 * 24 * 3600_000;

export function mountGitHubRoutes(app: Hono, ctx: IntegrationContext): void {
  const guard = new ReplayGuard(ctx.db);
  app.post("/github/webhook", (c) => receive(c, ctx, guard, undefined));
  app.post("/github/webhook/:key", (c) => receive(c, ctx, guard, c.req.param("key")));
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

// An app's connections, known from its id (a header) before the body is read; which
// installation a delivery is for is in the body, checked once it is verified.
function appRouting(all: ConnectionWithVars[], appId: string): Routing {
  const keyPrefix = `install_key__${appId}__`;
  return {
    candidates: all.filter((c) =>
      (appId !== "" && c.vars.app_id === appId) ||
      Object.keys(c.vars).some((k) => k.startsWith(keyPrefix))
    ),
    secretOf: (c) =>
      c.vars.webhook_secret || c.vars.client_secret || process.env.GITHUB_WEBHOOK_SECRET ||
      undefined,
  };
}

function ofInstallation(c: ConnectionWithVars, appId: string, installId: string): boolean {
  return (c.vars.app_id === appId && c.vars.install_id === installId) ||
    `install_key__${appId}__${installId}` in c.vars;
}

async function receive(
  c: Context,
  ctx: IntegrationContext,
  guard: ReplayGuard,
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

  const all = await connectionsOf(ctx.db, ctx.box, "github");
  const appId = c.req.header("x-github-hook-installation-target-id") ?? "";
  const routing = patKey !== undefined ? patRouting(all, patKey) : appRouting(all, appId);
  if (!routing.candidates.some(routing.secretOf)) {
    // As AutoKitteh: a delivery no connection is configured for is acknowledged, ignored.
    log.debug("github: no connection for this delivery", { event_type: eventType });
    return c.body(null, 200);
  }
  const read = await readUnverified(c.req.raw, MAX_BODY, (body) => {
    const verified = routing.candidates.filter((conn) => {
      const secret = routing.secretOf(conn);
      return !!secret && signatureMatches(secret, signature, body.chunks);
    });
    const secrets = new Set(verified.map((conn) => routing.secretOf(conn)!));
    const keys = [...secrets].map((s) => replayKey("github", deliveryMac(s, body.chunks)));
    return { body, verified, keys };
  });
  if ("status" in read) return c.json({ error: read.error }, read.status, read.headers);
  if (!read.verified.length) return c.json({ error: "bad signature" }, 403);

  const taken = await guard.once(read.keys, KEEP_DELIVERY_MS, async () => {
    let payload: Record<string, unknown>;
    try {
      payload = parsePayload(contentType, read.body.text());
    } catch {
      return c.json({ error: "malformed payload" }, 400);
    }
    let to = read.verified;
    if (patKey === undefined) {
      const installation = payload.installation as { id?: unknown } | undefined;
      const installId = installation?.id === undefined ? "" : String(installation.id);
      if (!installId) {
        if (eventType === "ping") return c.body(null, 200);
        return c.json({ error: "no installation in the payload" }, 400);
      }
      to = to.filter((conn) => ofInstallation(conn, appId, installId));
      if (!to.length) {
        log.debug("github: no connection for this installation", { event_type: eventType });
        return c.body(null, 200);
      }
    }
    for (const e of githubEvents(eventType, payload)) await deliver(ctx, to, e.eventType, e.data);
    return c.body(null, 200);
  });
  if (taken.replay) return c.json({ error: "replayed delivery: already received" }, 409);
  return taken.result;
}
