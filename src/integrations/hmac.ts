// HMAC signatures of inbound requests, compared in constant time.
import { createHmac, timingSafeEqual } from "node:crypto";

export function hmacHex(algorithm: "sha1" | "sha256", secret: string, parts: Uint8Array[]): string {
  const mac = createHmac(algorithm, secret);
  for (const p of parts) mac.update(p);
  return mac.digest("hex");
}

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
