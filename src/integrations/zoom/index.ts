// Zoom: webhook deliveries to /zoom/event, signed (x-zm-signature: "v0=" + hex HMAC-SHA256
// of "v0:<x-zm-request-timestamp>:<body>") with the app's secret token, the timestamp
// within 5 minutes. The endpoint.url_validation challenge is answered with the plainToken
// and its HMAC. Routed to the connections of the payload's account_id.
// https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events
import { hmacHex, sameText } from "../hmac.ts";
import type { Integration } from "../types.ts";
import type { Payload, Refusal, WebhookSource } from "../webhook-source.ts";

export const MAX_SKEW_MS = 5 * 60_000;
const enc = new TextEncoder();

export function zoomCheckHeaders(headers: Headers, nowMs: number): Refusal | undefined {
  const ts = headers.get("x-zm-request-timestamp");
  if (!headers.get("x-zm-signature") || !ts) {
    return { status: 401, error: "missing x-zm-signature or x-zm-request-timestamp" };
  }
  if (!/^\d{1,12}$/.test(ts)) return { status: 403, error: "bad x-zm-request-timestamp" };
  if (Math.abs(nowMs - Number(ts) * 1000) > MAX_SKEW_MS) {
    return { status: 403, error: "stale x-zm-request-timestamp" };
  }
  return undefined;
}

export function zoomSignatureMatches(
  secret: string,
  timestamp: string,
  body: readonly Uint8Array[],
  signature: string,
): boolean {
  const mac = hmacHex("sha256", secret, [enc.encode(`v0:${timestamp}:`), ...body]);
  return sameText(`v0=${mac}`, signature);
}

// The endpoint.url_validation answer.
export function zoomChallenge(payload: Payload, secret: string) {
  if (payload.event !== "endpoint.url_validation") return undefined;
  const plainToken = String((payload.payload as Payload | undefined)?.plainToken ?? "");
  return { plainToken, encryptedToken: hmacHex("sha256", secret, [enc.encode(plainToken)]) };
}

const accountOf = (p: Payload) => (p.payload as Payload | undefined)?.account_id;

// AutoKitteh's shape: the event type is the payload's `event` ("meeting.started", ...), the
// data the whole payload (event, event_ts, payload.account_id, payload.object).
export function zoomEvents(payload: Payload) {
  const type = typeof payload.event === "string" ? payload.event : "";
  return type ? [{ eventType: type, data: payload }] : [];
}

export const zoomWebhook: WebhookSource = {
  path: "/zoom/event",
  checkHeaders: zoomCheckHeaders,
  secret: (conn) => conn.vars.secret_token || process.env.ZOOM_SECRET_TOKEN || undefined,
  verify: (d, secret) =>
    zoomSignatureMatches(
      secret,
      d.headers.get("x-zm-request-timestamp")!,
      d.body.chunks,
      d.headers.get("x-zm-signature")!,
    ),
  replayKey: (d) => d.headers.get("x-zm-signature")!,
  keepMs: 2 * MAX_SKEW_MS,
  answer: zoomChallenge,
  routes: (conn, p) => !conn.vars.account_id || conn.vars.account_id === accountOf(p),
  toEvents: zoomEvents,
};

export const zoom: Integration = {
  name: "zoom",
  events: true,
  connectionVars: [
    { name: "account_id", secret: false, description: "the Zoom account id: routes deliveries" },
    {
      name: "secret_token",
      secret: true,
      description: "the app's webhook secret token (else ZOOM_SECRET_TOKEN)",
    },
    { name: "private_client_id", secret: false, description: "the app's OAuth client id" },
    { name: "private_client_secret", secret: true, description: "the app's OAuth client secret" },
  ],
  webhooks: [zoomWebhook],
  describe: (_conn, ctx) => ({ event_url: `${ctx.serviceUrl()}/zoom/event` }),
};
