// Verifying that a request comes from Twilio: X-Twilio-Signature is the base64 HMAC-SHA1,
// keyed with the account's auth token, of the full URL Twilio requested followed by every
// POST parameter's name and value, sorted by name.
// https://www.twilio.com/docs/usage/security#validating-requests
import { createHmac } from "node:crypto";
import { sameText } from "../hmac.ts";

export function twilioSignature(authToken: string, url: string, form: string): string {
  const pairs = [...new URLSearchParams(form)].sort(([a, x], [b, y]) =>
    a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0
  );
  const mac = createHmac("sha1", authToken).update(url);
  for (const [k, v] of pairs) mac.update(k + v);
  return mac.digest("base64");
}

export function twilioSignatureMatches(
  authToken: string,
  url: string,
  form: string,
  signature: string,
): boolean {
  return sameText(twilioSignature(authToken, url, form), signature);
}
