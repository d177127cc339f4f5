// Twilio: incoming messages posted (as forms) to /twilio/message, signed with the
// account's auth token, routed to the connections of their AccountSid.
import type { Integration } from "../types.ts";
import type { Payload, WebhookSource } from "../webhook-source.ts";
import { twilioSignatureMatches } from "./verify.ts";

const HEADER = "x-twilio-signature";

// As AutoKitteh's (Go strcase.ToSnake): "AccountSid" -> "account_sid", "MediaUrl0" ->
// "media_url_0".
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/([A-Za-z])(\d)/g, "$1_$2")
    .replace(/(\d)([A-Za-z])/g, "$1_$2")
    .toLowerCase();
}

// A message's form fields, snake_cased, as event "message" (AutoKitteh's shape).
export function twilioEvents(fields: Payload) {
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) data[snakeCase(k)] = String(v);
  return [{ eventType: "message", data }];
}

// The auth token that signs the account's webhooks: auth_token, else the password of an
// auth-token connection (username = account SID), else TWILIO_AUTH_TOKEN.
function authToken(vars: Record<string, string>): string | undefined {
  if (vars.auth_token) return vars.auth_token;
  if (vars.password && vars.username === vars.account_sid) return vars.password;
  return process.env.TWILIO_AUTH_TOKEN || undefined;
}

export const twilioWebhook: WebhookSource = {
  path: "/twilio/message",
  format: "form",
  checkHeaders: (headers) =>
    headers.get(HEADER) ? undefined : { status: 401, error: "missing X-Twilio-Signature" },
  secret: (conn) => authToken(conn.vars),
  verify: (d, secret) =>
    twilioSignatureMatches(secret, d.url, d.body.text(), d.headers.get(HEADER) ?? ""),
  // Twilio signs no timestamp: the signature over URL and parameters (MessageSid among
  // them) names the request; a copy is refused for a week.
  replayKey: (d) => d.headers.get(HEADER)!,
  keepMs: 7 * 24 * 3600_000,
  routes: (conn, p) => conn.vars.account_sid === p.AccountSid,
  toEvents: twilioEvents,
};

export const twilio: Integration = {
  name: "twilio",
  events: true,
  connectionVars: [
    { name: "account_sid", secret: false, description: "the account SID (AC…): routes messages" },
    {
      name: "auth_token",
      secret: true,
      description: "the account's auth token: verifies X-Twilio-Signature (else password)",
    },
    { name: "username", secret: true, description: "API user: the account SID or an API key" },
    { name: "password", secret: true, description: "the auth token or the API key's secret" },
  ],
  webhooks: [twilioWebhook],
  describe: (_conn, ctx) => ({ message_url: `${ctx.serviceUrl()}/twilio/message` }),
};
