// Talking to a provider's token endpoint (oauth4webapi): the code exchange and refreshes.
import * as oauth from "oauth4webapi";
import { endpoints, type OAuthIntegration } from "./providers.ts";
import type { Tokens } from "./tokens.ts";
import { now } from "../../core/util/clock.ts";

const TIMEOUT_MS = 30_000;

// A failure with what to answer: 4xx for the user's or the provider's refusal, 502 when
// the provider could not be used.
export class OAuthError extends Error {
  constructor(readonly status: 400 | 404 | 502, message: string) {
    super(message);
  }
}

export type AppClient = {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  options: { signal?: AbortSignal; [oauth.allowInsecureRequests]?: boolean };
  authorizeUrl: string;
};

export function appClient(
  cfg: OAuthIntegration,
  env: Record<string, string | undefined> = process.env,
): AppClient {
  const id = env[cfg.clientIdEnv];
  const secret = env[cfg.clientSecretEnv];
  if (!id || !secret) {
    throw new OAuthError(
      400,
      `the daemon has no OAuth app for "${cfg.provider.name}": set ${cfg.clientIdEnv} and ` +
        `${cfg.clientSecretEnv} in its environment (docs/integrations.md)`,
    );
  }
  const { authorizeUrl, tokenUrl, overridden } = endpoints(cfg.provider, env);
  return {
    as: {
      issuer: new URL(authorizeUrl).origin,
      authorization_endpoint: authorizeUrl,
      token_endpoint: tokenUrl,
    },
    client: { client_id: id },
    auth: cfg.provider.clientAuth === "basic"
      ? oauth.ClientSecretBasic(secret)
      : oauth.ClientSecretPost(secret),
    // A stand-in provider (POUNCE_OAUTH_<P>_BASE_URL) may be plain http on loopback.
    options: overridden ? { [oauth.allowInsecureRequests]: true } : {},
    authorizeUrl,
  };
}

// What a provider error says, never more (its body may hold what was sent).
export function describeError(err: unknown): string {
  if (err instanceof oauth.ResponseBodyError || err instanceof oauth.AuthorizationResponseError) {
    return err.error + (err.error_description ? `: ${err.error_description}` : "");
  }
  return (err as Error).message;
}

// Pounce uses no ID token: one is dropped rather than validated against an issuer that
// differs per tenant (Microsoft's "common" endpoint).
async function withoutIdToken(res: Response): Promise<Response> {
  if (!res.headers.get("content-type")?.includes("json")) return res;
  const body = await res.clone().json().catch(() => undefined) as Record<string, unknown>;
  if (!body || typeof body !== "object" || !("id_token" in body)) return res;
  delete body.id_token;
  return new Response(JSON.stringify(body), {
    status: res.status,
    headers: { "content-type": "application/json" },
  });
}

function tokensFrom(r: oauth.TokenEndpointResponse, previousRefresh?: string): Tokens {
  return {
    accessToken: r.access_token,
    refreshToken: r.refresh_token ?? previousRefresh,
    expiresAt: typeof r.expires_in === "number" ? now() + r.expires_in * 1000 : null,
    tokenType: r.token_type ? r.token_type[0].toUpperCase() + r.token_type.slice(1) : "Bearer",
  };
}

export async function exchangeCode(
  app: AppClient,
  callback: URLSearchParams,
  redirectUri: string,
  verifier: string | undefined,
): Promise<Tokens> {
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(app.as, app.client, callback, oauth.skipStateCheck);
  } catch (err) {
    throw new OAuthError(400, `the provider did not authorize: ${describeError(err)}`);
  }
  try {
    const res = await oauth.authorizationCodeGrantRequest(
      app.as,
      app.client,
      app.auth,
      params,
      redirectUri,
      verifier ?? oauth.nopkce,
      { ...app.options, signal: AbortSignal.timeout(TIMEOUT_MS) },
    );
    return tokensFrom(
      await oauth.processAuthorizationCodeResponse(app.as, app.client, await withoutIdToken(res)),
    );
  } catch (err) {
    throw new OAuthError(502, `token exchange failed: ${describeError(err)}`);
  }
}

export async function refreshTokens(app: AppClient, refreshToken: string): Promise<Tokens> {
  try {
    const res = await oauth.refreshTokenGrantRequest(
      app.as,
      app.client,
      app.auth,
      refreshToken,
      { ...app.options, signal: AbortSignal.timeout(TIMEOUT_MS) },
    );
    return tokensFrom(
      await oauth.processRefreshTokenResponse(app.as, app.client, await withoutIdToken(res)),
      refreshToken,
    );
  } catch (err) {
    throw new OAuthError(502, `token refresh failed: ${describeError(err)}`);
  }
}

// The consent URL, with PKCE's challenge when the provider takes one.
export async function consentUrl(
  app: AppClient,
  cfg: OAuthIntegration,
  redirectUri: string,
  state: string,
  verifier: string | undefined,
): Promise<string> {
  const url = new URL(app.authorizeUrl);
  const q = url.searchParams;
  q.set("response_type", "code");
  q.set("client_id", app.client.client_id);
  q.set("redirect_uri", redirectUri);
  if (cfg.scopes.length) q.set("scope", cfg.scopes.join(cfg.provider.scopeSeparator));
  q.set("state", state);
  if (verifier) {
    q.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
    q.set("code_challenge_method", "S256");
  }
  for (const [k, v] of Object.entries(cfg.provider.extraParams ?? {})) q.set(k, v);
  return url.href;
}

export const newState = (): string => oauth.generateRandomState();
export const newVerifier = (): string => oauth.generateRandomCodeVerifier();
