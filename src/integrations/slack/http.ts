// Slack's HTTP deliveries: POST /slack/event (JSON), /slack/command and
// /slack/interaction (forms). A request is verified before anything is stored, with the
// signing secret of the connections its install ids name; bad ones get 400/401/403 and
// start nothing.
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { connectionsOf, type ConnectionWithVars } from "../../core/connections.ts";
import { log } from "../../core/log.ts";
import { deliver } from "../deliver.ts";
import { remember, seen } from "../replay-guard.ts";
import type { IntegrationContext } from "../types.ts";
import {
  fromEventCallback,
  fromInteraction,
  fromSlashCommand,
  type Parsed,
  slashCommandReply,
} from "./events.ts";
import { checkHeaders, MAX_SKEW_MS, signatureMatches } from "./verify.ts";

const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";
const MAX_BODY = 1 << 20;

// What a verified request asks for: a URL verification challenge answered, or an event.
type Request = { challenge: string } | (Parsed & { reply?: Record<string, unknown> });

export function mountSlackRoutes(app: Hono, ctx: IntegrationContext): void {
  const limit = bodyLimit({
    maxSize: MAX_BODY,
    onError: (c) => c.json({ error: `body larger than ${MAX_BODY} bytes` }, 413),
  });
  app.post("/slack/event", limit, (c) => receive(c, ctx, JSON_TYPE, parseEvent));
  app.post("/slack/command", limit, (c) => receive(c, ctx, FORM_TYPE, parseCommand));
  app.post("/slack/interaction", limit, (c) => receive(c, ctx, FORM_TYPE, parseInteraction));
}

function parseEvent(text: string): Request {
  const body = JSON.parse(text);
  if (!body || typeof body !== "object") throw new Error("not an object");
  if (body.type === "url_verification") return { challenge: String(body.challenge ?? "") };
  return fromEventCallback(body);
}

function parseCommand(text: string): Request {
  const fields = Object.fromEntries(new URLSearchParams(text));
  const parsed = fromSlashCommand(fields);
  // Slack's periodic check of the command URL's certificate: verified, answered, ignored.
  if (fields.ssl_check) return { ...parsed, event: null };
  return { ...parsed, reply: slashCommandReply(parsed.event!.data) };
}

function parseInteraction(text: string): Request {
  const payload = JSON.parse(new URLSearchParams(text).get("payload") ?? "");
  if (!payload || typeof payload !== "object") throw new Error("not an object");
  return fromInteraction(payload);
}

function signingSecret(conn: ConnectionWithVars): string | undefined {
  return conn.vars.private_signing_secret || process.env.SLACK_SIGNING_SECRET || undefined;
}

async function receive(
  c: Context,
  ctx: IntegrationContext,
  contentType: string,
  parse: (text: string) => Request,
): Promise<Response> {
  const signed = checkHeaders(c.req.raw.headers, contentType, Date.now());
  if ("status" in signed) return c.json({ error: signed.error }, signed.status);
  const body = new Uint8Array(await c.req.arrayBuffer());
  let req: Request;
  try {
    req = parse(new TextDecoder().decode(body));
  } catch {
    return c.json({ error: "malformed payload" }, 400);
  }
  const all = await connectionsOf(ctx.db, ctx.box, "slack");
  const matches = (secret: string | undefined) =>
    !!secret && signatureMatches(secret, signed, body);

  if ("challenge" in req) {
    // A URL verification names no workspace: any configured signing secret may sign it.
    const secrets = [...all.map(signingSecret), process.env.SLACK_SIGNING_SECRET];
    if (!secrets.some(Boolean)) return c.json({ error: "no Slack signing secret configured" }, 401);
    if (!secrets.some(matches)) return c.json({ error: "bad signature" }, 403);
    return c.json({ challenge: req.challenge });
  }

  const candidates = all.filter((conn) => conn.vars.install_ids === req.installIds);
  if (!candidates.some(signingSecret)) {
    // As AutoKitteh: a workspace no connection knows is acknowledged and ignored.
    log.debug("slack: no connection for this request", { install_ids: req.installIds });
    return c.body(null, 200);
  }
  const verified = candidates.filter((conn) => matches(signingSecret(conn)));
  if (!verified.length) return c.json({ error: "bad signature" }, 403);
  // Older requests are refused as stale; newer ones are remembered while they are not.
  const key = `slack:${signed.signature}`;
  if (await seen(ctx.db, key)) return c.json({ error: "replayed request: already received" }, 409);
  if (req.event) await deliver(ctx, verified, req.event.eventType, req.event.data);
  await remember(ctx.db, key, 2 * MAX_SKEW_MS);
  return req.reply ? c.json(req.reply) : c.body(null, 200);
}
