// Linear: webhook deliveries to /linear/event, signed (Linear-Signature: hex HMAC-SHA256 of
// the body) with the webhook's signing secret; the body's webhookTimestamp must be within a
// minute. Routed to the connections of the payload's organizationId.
// https://developers.linear.app/docs/graphql/webhooks#securing-webhooks
import { hmacHex, sameText } from "../hmac.ts";
import type { Integration } from "../types.ts";
import type { DeliveryHead, Payload, WebhookSource } from "../webhook-source.ts";

const HEADER = "linear-signature";
export const MAX_AGE_MS = 60_000;

export function linearSignatureMatches(
  secret: string,
  body: readonly Uint8Array[],
  signature: string,
): boolean {
  return sameText(hmacHex("sha256", secret, [...body]), signature);
}

// Within a minute either way (a little clock skew is not a replay).
export function linearFresh(payload: Payload, nowMs: number): string | undefined {
  const t = payload.webhookTimestamp;
  if (typeof t !== "number" || !Number.isFinite(t)) return "missing webhookTimestamp";
  if (Math.abs(nowMs - t) > MAX_AGE_MS) return "stale webhookTimestamp";
  return undefined;
}

// AutoKitteh's shape: the event type is the Linear-Event header lowercased ("issue",
// "comment", ...), which names the payload's `type`; the data is the whole payload.
export function linearEvents(payload: Payload, head?: DeliveryHead) {
  const type = (head?.headers.get("linear-event") || String(payload.type ?? "")).toLowerCase();
  return type ? [{ eventType: type, data: payload }] : [];
}

export const linearWebhook: WebhookSource = {
  path: "/linear/event",
  checkHeaders: (headers) =>
    headers.get(HEADER) ? undefined : { status: 401, error: "missing Linear-Signature" },
  secret: (conn) =>
    conn.vars.private_webhook_secret || process.env.LINEAR_WEBHOOK_SECRET || undefined,
  verify: (d, secret) => linearSignatureMatches(secret, d.body.chunks, d.headers.get(HEADER)!),
  checkPayload: (p, now) => {
    const error = linearFresh(p, now);
    return error ? { status: 400, error } : undefined;
  },
  replayKey: (d) => d.headers.get(HEADER)!,
  keepMs: 4 * MAX_AGE_MS,
  // A connection without org_id takes what its own secret signed.
  routes: (conn, p) => !conn.vars.org_id || conn.vars.org_id === p.organizationId,
  toEvents: linearEvents,
};

export const linear: Integration = {
  name: "linear",
  events: true,
  connectionVars: [
    { name: "api_key", secret: true, description: "personal API key for Linear API calls" },
    {
      name: "private_webhook_secret",
      secret: true,
      description: "the webhook's signing secret (else LINEAR_WEBHOOK_SECRET)",
    },
    { name: "org_id", secret: false, description: "the organization id: routes deliveries" },
  ],
  webhooks: [linearWebhook],
  describe: (_conn, ctx) => ({ webhook_url: `${ctx.serviceUrl()}/linear/event` }),
};
