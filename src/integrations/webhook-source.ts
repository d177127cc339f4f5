// Webhook sources: what a webhook-style integration declares (its path, how a delivery is
// verified, what names it for the replay guard, how its payload becomes events), and the
// one receiver that mounts them all. The receiver, not the integration, does the rest, in
// this order: rate limit; header checks (a signature header present, a signed timestamp
// fresh); the connections the delivery may be for; the body read bounded (see
// unverified-body.ts) and verified against their secrets; only then parsed; the replay
// guard; the events stored and dispatched to the connections the payload is for. Bad
// deliveries get 4xx and start nothing.
import type { Context, Hono } from "hono";
import { connectionsOf, type ConnectionWithVars } from "../core/projects/connections.ts";
import { log } from "../core/util/log.ts";
import { deliver } from "./deliver.ts";
import { ReplayGuard, replayKey } from "./replay-guard.ts";
import type { IntegrationContext } from "./types.ts";
import { type Body, readUnverified } from "./unverified-body.ts";
import { RateLimiter } from "./webhook/rate.ts";

export type WebhookEvent = { eventType: string; data: Record<string, unknown> };

// A parsed payload: a JSON object, or a form's fields (first value of each).
export type Payload = Record<string, unknown>;

// What is known of a delivery before its body is read.
export type DeliveryHead = {
  // The URL the sender addressed (the daemon's service URL, the path, the query): what
  // Twilio signs.
  url: string;
  params: Record<string, string>;
  headers: Headers;
};

export type Delivery = DeliveryHead & { body: Body };

export type Refusal = { status: 400 | 401 | 403; error: string };

export interface WebhookSource {
  // A Hono path, e.g. "/telegram/webhook/:bot_id". POST only.
  readonly path: string;
  // How the body is parsed once verified (default json).
  readonly format?: "json" | "form";
  // Largest body accepted (default 1 MiB).
  readonly maxBodyBytes?: number;
  // Checked before the body is read: a missing signature header, a stale signed timestamp.
  checkHeaders?(headers: Headers, nowMs: number): Refusal | undefined;
  // Whether a connection may receive this delivery, known before the body is read (e.g. the
  // bot id in the path). Default: every connection of the integration.
  candidate?(conn: ConnectionWithVars, head: DeliveryHead): boolean;
  // The secret that verifies a connection's deliveries; none: the connection receives none.
  secret(conn: ConnectionWithVars): string | undefined;
  // Whether `secret` signed (or, for a secret token, came with) the delivery.
  verify(delivery: Delivery, secret: string): boolean;
  // Checked on the verified payload: a signed timestamp inside the body still fresh.
  checkPayload?(payload: Payload, nowMs: number): Refusal | undefined;
  // What names the delivery for the replay guard: material its sender signed (or that a
  // secret token authenticated), and how long a copy is refused.
  replayKey(delivery: Delivery, payload: Payload): string;
  readonly keepMs: number;
  // An answer instead of events (e.g. Zoom's URL validation challenge).
  answer?(payload: Payload, secret: string): Record<string, unknown> | undefined;
  // Whether a verified connection is the one the payload is for (an account id in the body).
  // Default: every verified connection.
  routes?(conn: ConnectionWithVars, payload: Payload): boolean;
  // The payload as events, with AutoKitteh's event types and data shapes. `head` is absent
  // when a recorded payload is dispatched by hand.
  toEvents(payload: Payload, head?: DeliveryHead): WebhookEvent[];
}

const MAX_BODY = 1 << 20;

export function parsePayload(format: "json" | "form", text: string): Payload {
  if (format === "form") {
    const fields: Payload = {};
    for (const [k, v] of new URLSearchParams(text)) if (!(k in fields)) fields[k] = v;
    return fields;
  }
  const v = JSON.parse(text);
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("not a JSON object");
  return v;
}

// Mounts one source of the integration `name` on the daemon's app.
export function mountWebhookSource(
  app: Hono,
  ctx: IntegrationContext,
  name: string,
  source: WebhookSource,
): void {
  const guard = new ReplayGuard(ctx.db);
  const rate = ctx.limits.webhookRate > 0 ? new RateLimiter(ctx.limits.webhookRate) : undefined;
  app.post(source.path, (c) => receive(c, ctx, name, source, guard, rate));
}

async function receive(
  c: Context,
  ctx: IntegrationContext,
  name: string,
  source: WebhookSource,
  guard: ReplayGuard,
  rate: RateLimiter | undefined,
): Promise<Response> {
  const allowed = rate?.take(name) ?? true;
  if (allowed !== true) {
    return c.json({ error: `rate limit: more than ${rate!.perSecond} requests per second` }, 429, {
      "Retry-After": String(allowed),
    });
  }
  const headers = c.req.raw.headers;
  const format = source.format ?? "json";
  const wanted = format === "json" ? "application/json" : "application/x-www-form-urlencoded";
  const contentType = (headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (contentType !== wanted) return c.json({ error: `content type must be ${wanted}` }, 400);
  const refused = source.checkHeaders?.(headers, Date.now());
  if (refused) return c.json({ error: refused.error }, refused.status);

  const url = new URL(c.req.url);
  const head: DeliveryHead = {
    url: ctx.serviceUrl() + url.pathname + url.search,
    params: c.req.param() as Record<string, string>,
    headers,
  };
  const all = await connectionsOf(ctx.db, ctx.box, name);
  const candidates = all.filter((conn) =>
    (source.candidate?.(conn, head) ?? true) && !!source.secret(conn)
  );
  if (!candidates.length) {
    // As AutoKitteh: a delivery no connection is configured for is acknowledged, ignored.
    log.debug(`${name}: no connection for this delivery`, { path: url.pathname });
    return c.body(null, 200);
  }
  const read = await readUnverified(c.req.raw, source.maxBodyBytes ?? MAX_BODY, (body) => {
    const delivery: Delivery = { ...head, body };
    const verified = candidates.filter((conn) => source.verify(delivery, source.secret(conn)!));
    return { delivery, verified };
  });
  if ("status" in read) return c.json({ error: read.error }, read.status, read.headers);
  if (!read.verified.length) return c.json({ error: "bad signature" }, 403);

  let payload: Payload;
  try {
    payload = parsePayload(format, read.delivery.body.text());
  } catch {
    return c.json({ error: "malformed payload" }, 400);
  }
  const stale = source.checkPayload?.(payload, Date.now());
  if (stale) return c.json({ error: stale.error }, stale.status);
  const answer = source.answer?.(payload, source.secret(read.verified[0])!);
  if (answer) return c.json(answer);

  const to = read.verified.filter((conn) => source.routes?.(conn, payload) ?? true);
  const taken = await guard.once(
    [replayKey(name, source.replayKey(read.delivery, payload))],
    source.keepMs,
    async () => {
      for (const e of source.toEvents(payload, head)) await deliver(ctx, to, e.eventType, e.data);
    },
  );
  if (taken.replay) return c.json({ error: "replayed delivery: already received" }, 409);
  if (!to.length) log.debug(`${name}: no connection for this payload`, { path: url.pathname });
  return c.body(null, 200);
}

// `pounce event dispatch --integration`: a recorded payload through the source's toEvents,
// unverified (the caller holds the API token), to the connections given, or else to those
// of the integration the payload is for.
export async function dispatchRecorded(
  ctx: IntegrationContext,
  name: string,
  source: WebhookSource,
  payload: Payload,
  to?: ConnectionWithVars[],
): Promise<{ event_id: string; session_ids: string[] }[]> {
  const dest = to ??
    (await connectionsOf(ctx.db, ctx.box, name)).filter((conn) =>
      source.routes?.(conn, payload) ?? true
    );
  const out: { event_id: string; session_ids: string[] }[] = [];
  for (const e of source.toEvents(payload)) {
    for (const conn of dest) {
      const { event, dispatched } = await ctx.dispatcher.receive({
        projectId: conn.projectId,
        destinationId: conn.id,
        eventType: e.eventType,
        data: e.data,
        memo: { connection_id: conn.id, dispatched_from: "recorded payload" },
      });
      out.push({ event_id: event.id, session_ids: dispatched.sessionIds });
    }
  }
  return out;
}
