// Slack's HTTP deliveries: POST /slack/event (JSON), /slack/command and
// /slack/interaction (forms). A request's headers are checked first (a timestamp within
// 5 minutes), then its body read (bounded, see unverified-body.ts) and its signature over
// "v0:<timestamp>:<body>" checked against the configured signing secrets; only then is
// it parsed, and it reaches the connections its install ids name only if one of their
// secrets signed it. A signature is taken once (see replay-guard.ts). Bad requests get
// 4xx and start nothing.
import type { Context, Hono } from "hono";
import { connectionsOf, type ConnectionWithVars } from "../../core/projects/connections.ts";
import { log } from "../../core/util/log.ts";
import { deliver } from "../deliver.ts";
import { ReplayGuard, replayKey } from "../replay-guard.ts";
import type { IntegrationContext } from "../types.ts";
import { readUnverified } from "../unverified-body.ts";
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
  const guard = new ReplayGuard(ctx.db);
  const route = (contentType: string, parse: (text: string) => Request) => (c: Context) =>
    receive(c, ctx, guard, contentType, parse);
  app.post("/slack/event", route(JSON_TYPE, parseEvent));
  app.post("/slack/command", route(FORM_TYPE, parseCommand));
  app.post("/slack/interaction", route(FORM_TYPE, parseInteraction));
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
  guard: ReplayGuard,
  contentType: string,
  parse: (text: string) => Request,
): Promise<Response> {
  const signed = checkHeaders(c.req.raw.headers, contentType, Date.now());
  if ("status" in signed) return c.json({ error: signed.error }, signed.status);
  const all = await connectionsOf(ctx.db, ctx.box, "slack");
  // Which workspace a request is for is in its body: it is checked against every secret
  // (usually one per Slack app) before the body is parsed.
  const secrets = [...new Set([...all.map(signingSecret), process.env.SLACK_SIGNING_SECRET])]
    .filter((s): s is string => !!s);
  if (!secrets.length) return c.json({ error: "no Slack signing secret configured" }, 401);
  const read = await readUnverified(c.req.raw, MAX_BODY, (body) => ({
    body,
    signedBy: new Set(secrets.filter((s) => signatureMatches(s, signed, body.chunks))),
  }));
  if ("status" in read) return c.json({ error: read.error }, read.status, read.headers);
  if (!read.signedBy.size) return c.json({ error: "bad signature" }, 403);
  let req: Request;
  try {
    req = parse(read.body.text());
  } catch {
    return c.json({ error: "malformed payload" }, 400);
  }

  // A URL verification names no workspace: any configured signing secret may sign it.
  if ("challenge" in req) return c.json({ challenge: req.challenge });

  const candidates = all.filter((conn) => conn.vars.install_ids === req.installIds);
  if (!candidates.some(signingSecret)) {
    // As AutoKitteh: a workspace no connection knows is acknowledged and ignored.
    log.debug("slack: no connection for this request", { install_ids: req.installIds });
    return c.body(null, 200);
  }
  const verified = candidates.filter((conn) => read.signedBy.has(signingSecret(conn)!));
  if (!verified.length) return c.json({ error: "bad signature" }, 403);
  // Older requests are refused as stale; newer ones are remembered while they are not.
  const taken = await guard.once(
    [replayKey("slack", signed.signature)],
    2 * MAX_SKEW_MS,
    async () => {
      if (req.event) await deliver(ctx, verified, req.event.eventType, req.event.data);
    },
  );
  if (taken.replay) return c.json({ error: "replayed request: already received" }, 409);
  return req.reply ? c.json(req.reply) : c.body(null, 200);
}
