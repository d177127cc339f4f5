// GitHub App authentication: the daemon signs a short-lived RS256 JWT with the app's
// private key (PKCS#1 as GitHub issues it, or PKCS#8) and trades it for an installation
// token, cached until shortly before it expires.
// https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app
import { createHash, createPrivateKey } from "node:crypto";
import { callGitHub } from "./api.ts";

export async function appJwt(
  appId: string,
  privateKey: string,
  nowMs = Date.now(),
): Promise<string> {
  let pkcs8: string;
  try {
    pkcs8 = createPrivateKey(privateKey).export({ type: "pkcs8", format: "pem" }) as string;
  } catch {
    throw new Error("private_key is not a PEM private key");
  }
  // Loaded when first used, as most daemons have no GitHub App.
  const { importPKCS8, SignJWT } = await import("jose");
  const key = await importPKCS8(pkcs8, "RS256");
  // Backdated a minute against clock drift; GitHub refuses more than 10 minutes ahead.
  const iat = Math.floor(nowMs / 1000) - 60;
  return await new SignJWT({})
    .setProtectedHeader({ alg: "RS256", typ: "JWT" })
    .setIssuedAt(iat)
    .setExpirationTime(iat + 9 * 60)
    .setIssuer(appId)
    .sign(key);
}

export type InstallationToken = { token: string; expiresAt: number };

const cache = new Map<string, InstallationToken>();
const REFRESH_BEFORE_MS = 5 * 60_000;

export async function installationToken(
  base: string,
  app: { appId: string; installId: string; privateKey: string },
): Promise<InstallationToken> {
  const keyHash = createHash("sha256").update(app.privateKey).digest("hex");
  const cacheKey = `${base}|${app.appId}|${app.installId}|${keyHash}`;
  const cached = cache.get(cacheKey);
  if (cached && cached.expiresAt - REFRESH_BEFORE_MS > Date.now()) return cached;
  const jwt = await appJwt(app.appId, app.privateKey);
  const res = await callGitHub(
    base,
    "POST",
    `/app/installations/${encodeURIComponent(app.installId)}/access_tokens`,
    `Bearer ${jwt}`,
  );
  if (typeof res.token !== "string") throw new Error("GitHub returned no installation token");
  const expiresAt = Date.parse(String(res.expires_at ?? "")) || Date.now() + 60 * 60_000;
  const token = { token: res.token, expiresAt };
  cache.set(cacheKey, token);
  return token;
}
