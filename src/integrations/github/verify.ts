// Verifying that a delivery comes from GitHub: X-Hub-Signature-256 ("sha256=<hex>" of the
// body's HMAC with the webhook secret), or the older X-Hub-Signature (sha1) when it is the
// only one sent. Only the body is signed: every header (X-GitHub-Event, X-GitHub-Delivery,
// the app's installation target id) is the sender's word.
// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
import { hmacHex, sameText } from "../hmac.ts";

export type Signature = { algorithm: "sha256" | "sha1"; value: string };

export function readSignature(headers: Headers): Signature | undefined {
  const sha256 = headers.get("x-hub-signature-256");
  if (sha256) return { algorithm: "sha256", value: sha256 };
  const sha1 = headers.get("x-hub-signature");
  if (sha1) return { algorithm: "sha1", value: sha1 };
  return undefined;
}

const parts = (body: Uint8Array | readonly Uint8Array[]) =>
  body instanceof Uint8Array ? [body] : [...body];

export function signatureMatches(
  secret: string,
  sig: Signature,
  body: Uint8Array | readonly Uint8Array[],
): boolean {
  return sameText(`${sig.algorithm}=${hmacHex(sig.algorithm, secret, parts(body))}`, sig.value);
}

// What names a delivery whichever signature header it came with: the body's HMAC-SHA256
// with the secret that verified it. The replay guard keys on it, so the same signed body
// is taken once, whatever its unsigned headers say.
export function deliveryMac(secret: string, body: Uint8Array | readonly Uint8Array[]): string {
  return hmacHex("sha256", secret, parts(body));
}
