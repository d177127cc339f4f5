// Verifies a Cloud Pub/Sub push: its Authorization header carries an OIDC token Google
// signs for the push subscription's service account. The token must verify against
// Google's keys (JWKS, POUNCE_GOOGLE_JWKS_URL for tests), come from accounts.google.com,
// name this endpoint (or POUNCE_GOOGLE_PUBSUB_AUDIENCE) as audience, be unexpired, and
// carry the verified email POUNCE_GOOGLE_PUBSUB_EMAIL: any Google account can mint a
// token with any audience, so without the email check anyone could push.
import type { createRemoteJWKSet } from "jose";

const GOOGLE_JWKS = "https://www.googleapis.com/oauth2/v3/certs";
const ISSUERS = ["accounts.google.com", "https://accounts.google.com"];

let jwks: { url: string; set: ReturnType<typeof createRemoteJWKSet> } | undefined;

function keySet(jose: typeof import("jose")): ReturnType<typeof createRemoteJWKSet> {
  const url = process.env.POUNCE_GOOGLE_JWKS_URL || GOOGLE_JWKS;
  if (jwks?.url !== url) jwks = { url, set: jose.createRemoteJWKSet(new URL(url)) };
  return jwks.set;
}

export type PushAuth = { ok: true } | { ok: false; status: 401 | 403 | 502; error: string };

export async function verifyPush(
  authorization: string | undefined,
  endpoint: string,
): Promise<PushAuth> {
  const email = process.env.POUNCE_GOOGLE_PUBSUB_EMAIL?.trim();
  if (!email) {
    return {
      ok: false,
      status: 403,
      error: "POUNCE_GOOGLE_PUBSUB_EMAIL is not set: no push is accepted",
    };
  }
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  if (!m) return { ok: false, status: 401, error: "missing bearer token" };
  // Loaded when first used, as most daemons take no Pub/Sub pushes.
  const jose = await import("jose");
  const { errors } = jose;
  try {
    const { payload } = await jose.jwtVerify(m[1], keySet(jose), {
      issuer: ISSUERS,
      audience: process.env.POUNCE_GOOGLE_PUBSUB_AUDIENCE || endpoint,
      algorithms: ["RS256"],
      requiredClaims: ["exp", "iat"],
      clockTolerance: 30,
    });
    if (payload.email !== email || payload.email_verified !== true) {
      return { ok: false, status: 403, error: "push token of another account" };
    }
    return { ok: true };
  } catch (err) {
    if (err instanceof errors.JOSEError && !(err instanceof errors.JWKSTimeout)) {
      return { ok: false, status: 401, error: `invalid push token: ${err.code}` };
    }
    return { ok: false, status: 502, error: "Google's signing keys could not be fetched" };
  }
}
