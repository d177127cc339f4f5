// What Jira and Confluence webhooks share: Atlassian's secure admin webhooks sign the body
// (X-Hub-Signature: "sha256=" + hex HMAC-SHA256 with the webhook's secret), and a payload
// names its site only in its objects' `self` URLs, which route it to the connection of
// that base URL (as AutoKitteh routes by base URL).
// https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks
import type { ConnectionWithVars } from "../../core/projects/connections.ts";
import { hmacHex, sameText } from "../hmac.ts";
import type { Payload, WebhookSource } from "../webhook-source.ts";

const HEADER = "x-hub-signature";

export function hubSignatureMatches(
  secret: string,
  body: readonly Uint8Array[],
  signature: string,
): boolean {
  return sameText(`sha256=${hmacHex("sha256", secret, [...body])}`, signature);
}

// The `self` URLs of the payload's objects (issue, comment, page, ...), one level down.
export function selfUrls(payload: Payload): string[] {
  const urls: string[] = [];
  for (const v of Object.values(payload)) {
    const self = v && typeof v === "object" ? (v as Payload).self : undefined;
    if (typeof self === "string") urls.push(self);
  }
  return urls;
}

export function ofSite(conn: ConnectionWithVars, payload: Payload): boolean {
  const base = (conn.vars.base_url ?? "").replace(/\/+$/, "");
  if (!base) return true;
  return selfUrls(payload).some((u) => u === base || u.startsWith(base + "/"));
}

// The parts of a Jira or Confluence webhook source that are the same.
export function atlassianSource(envSecret: string) {
  return {
    checkHeaders: (headers: Headers) =>
      headers.get(HEADER)
        ? undefined
        : { status: 401 as const, error: "missing X-Hub-Signature (set the webhook's secret)" },
    secret: (conn: ConnectionWithVars) =>
      conn.vars.webhook_secret || process.env[envSecret] || undefined,
    verify: (d: Parameters<WebhookSource["verify"]>[0], secret: string) =>
      hubSignatureMatches(secret, d.body.chunks, d.headers.get(HEADER)!),
    // Atlassian signs no timestamp: the body's MAC names a delivery, refused for a week.
    replayKey: (d: Parameters<WebhookSource["replayKey"]>[0]) => d.headers.get(HEADER)!,
    keepMs: 7 * 24 * 3600_000,
    routes: ofSite,
  };
}

export const atlassianVars = [
  {
    name: "base_url",
    secret: false,
    description: "the site, e.g. https://example.atlassian.net: routes deliveries",
  },
  { name: "email", secret: false, description: "the API token's user" },
  { name: "token", secret: true, description: "API token (or PAT) for API calls" },
];
