// Verifying that a request comes from Slack: content type, a timestamp within 5 minutes
// and the `v0` HMAC-SHA256 signature over "v0:<timestamp>:<body>".
// https://api.slack.com/authentication/verifying-requests-from-slack
import { hmacHex, sameText } from "../hmac.ts";

export const MAX_SKEW_MS = 5 * 60_000;

export type Rejection = { status: 400 | 401 | 403; error: string };
export type Signed = { timestamp: string; signature: string };

export function checkHeaders(
  headers: Headers,
  contentType: string,
  nowMs: number,
): Rejection | Signed {
  const got = (headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (got !== contentType) {
    return { status: 400, error: `content type must be ${contentType}` };
  }
  const timestamp = headers.get("x-slack-request-timestamp");
  if (!timestamp) return { status: 401, error: "missing X-Slack-Request-Timestamp" };
  if (!/^\d{1,12}$/.test(timestamp)) {
    return { status: 403, error: "bad X-Slack-Request-Timestamp" };
  }
  if (Math.abs(nowMs - Number(timestamp) * 1000) > MAX_SKEW_MS) {
    return { status: 403, error: "stale X-Slack-Request-Timestamp" };
  }
  const signature = headers.get("x-slack-signature");
  if (!signature) return { status: 401, error: "missing X-Slack-Signature" };
  return { timestamp, signature };
}

export function signatureMatches(
  secret: string,
  signed: Signed,
  body: Uint8Array | readonly Uint8Array[],
): boolean {
  const mac = hmacHex("sha256", secret, [
    new TextEncoder().encode(`v0:${signed.timestamp}:`),
    ...(body instanceof Uint8Array ? [body] : body),
  ]);
  return sameText(`v0=${mac}`, signed.signature);
}
