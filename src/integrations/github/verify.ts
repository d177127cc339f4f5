// Verifying that a delivery comes from GitHub: X-Hub-Signature-256 ("sha256=<hex>" of the
// body's HMAC with the webhook secret), or the older X-Hub-Signature (sha1) when it is the
// only one sent.
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

export function signatureMatches(secret: string, sig: Signature, body: Uint8Array): boolean {
  return sameText(`${sig.algorithm}=${hmacHex(sig.algorithm, secret, [body])}`, sig.value);
}
