// OAuth 2.0 for connections: a consent flow started for a connection (`pounce connection
// init`), finished at /oauth/redirect/<app> with the code exchanged for tokens, and the
// tokens kept fresh in the background and on a session's request (refresh_oauth).
import {
  type Connection,
  connectionById,
  connectionByName,
  listConnections,
  withVars,
} from "../../core/projects/connections.ts";
import { varNamesIn } from "../../core/projects/vars.ts";
import type { Db } from "../../core/db/client.ts";
import type { SecretBox } from "../../core/projects/secrets.ts";
import {
  appClient,
  consentUrl,
  exchangeCode,
  newState,
  newVerifier,
  OAuthError,
  refreshTokens,
} from "./client.ts";
import { type OAuthIntegration, oauthIntegration } from "./providers.ts";
import { Refresher, type RefreshStatus } from "./refresher.ts";
import { PendingStates } from "./states.ts";
import { storeTokens, TOKEN_VARS, type Tokens, tokensOf } from "./tokens.ts";

export type OAuthDeps = {
  db: Db;
  box: SecretBox;
  serviceUrl: () => string;
  env?: Record<string, string | undefined>;
};

export type ConsentStart = { url: string; redirect_url: string; expires_at: string };

export class OAuthService {
  private readonly states = new PendingStates();
  private readonly refresher = new Refresher((id) => this.renew(id));

  constructor(private readonly deps: OAuthDeps) {}

  // Plans the refresh of every stored token that can be refreshed.
  async start(): Promise<void> {
    const { db, box } = this.deps;
    const all = (await listConnections(db, {})).map((r) => r.connection);
    if (!all.length) return;
    const held = new Set(
      (await varNamesIn(db, all.map((c) => c.id), [TOKEN_VARS.refresh])).map((r) => r.scopeId),
    );
    for (const conn of await withVars(db, box, all.filter((c) => held.has(c.id)))) {
      const t = tokensOf(conn.vars);
      if (t && oauthIntegration(conn.integration)) {
        this.refresher.schedule(conn.id, t.expiresAt);
      }
    }
  }

  close(): void {
    this.refresher.close();
  }

  status(connectionId: string): RefreshStatus | undefined {
    return this.refresher.status(connectionId);
  }

  redirectUrl(cfg: OAuthIntegration): string {
    return `${this.deps.serviceUrl()}/oauth/redirect/${cfg.redirect}`;
  }

  async begin(conn: Connection): Promise<ConsentStart> {
    const cfg = this.config(conn.integration);
    const app = appClient(cfg, this.deps.env);
    const state = newState();
    const verifier = cfg.provider.pkce ? newVerifier() : undefined;
    const redirectUri = this.redirectUrl(cfg);
    const url = await consentUrl(app, cfg, redirectUri, state, verifier);
    const p = this.states.add(state, {
      connectionId: conn.id,
      redirect: cfg.redirect,
      redirectUri,
      verifier,
    });
    return { url, redirect_url: redirectUri, expires_at: new Date(p.expiresAt).toISOString() };
  }

  // The provider sent the browser back to /oauth/redirect/<redirect> with `params`.
  async finish(redirect: string, params: URLSearchParams): Promise<Connection> {
    const p = this.states.take(params.get("state"), redirect);
    if (!p) {
      throw new OAuthError(
        400,
        "unknown, already used or expired OAuth state: run `pounce connection init` again",
      );
    }
    const conn = await connectionById(this.deps.db, p.connectionId);
    if (!conn) throw new OAuthError(404, "the connection of this OAuth flow no longer exists");
    const cfg = this.config(conn.integration);
    const tokens = await exchangeCode(
      appClient(cfg, this.deps.env),
      params,
      p.redirectUri,
      p.verifier,
    );
    await storeTokens(this.deps.db, this.deps.box, conn.id, tokens);
    this.refresher.forget(conn.id);
    if (tokens.refreshToken) this.refresher.schedule(conn.id, tokens.expiresAt);
    return conn;
  }

  // refresh_oauth(integration, connection) from a session of the project: a token just
  // refreshed, or an error (never a stale token).
  async refreshFor(
    projectId: string,
    integration: string,
    connection: string,
  ): Promise<{ token: string; expiry: string | null }> {
    const conn = await connectionByName(this.deps.db, projectId, connection);
    if (!conn) throw new OAuthError(404, `connection "${connection}" not found`);
    const mine = oauthIntegration(conn.integration);
    const asked = oauthIntegration(integration);
    if (!mine || !asked || mine.provider !== asked.provider) {
      throw new OAuthError(
        400,
        `connection "${connection}" is of integration "${conn.integration}", not "${integration}"`,
      );
    }
    const t = await this.refresher.refresh(conn.id);
    return {
      token: t.accessToken,
      expiry: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(),
    };
  }

  private config(integration: string): OAuthIntegration {
    const cfg = oauthIntegration(integration);
    if (!cfg) {
      throw new OAuthError(
        400,
        `integration "${integration}" has no OAuth flow in Pounce: set its credentials with ` +
          "`pounce connection set`",
      );
    }
    return cfg;
  }

  private async renew(connectionId: string): Promise<Tokens> {
    const { db, box } = this.deps;
    const conn = await connectionById(db, connectionId);
    if (!conn) {
      this.refresher.forget(connectionId);
      throw new OAuthError(404, "the connection no longer exists");
    }
    const [info] = await withVars(db, box, [conn]);
    const refreshToken = info.vars[TOKEN_VARS.refresh];
    if (!refreshToken) {
      throw new OAuthError(
        400,
        `connection "${conn.name}" has no refresh token: run \`pounce connection init\``,
      );
    }
    const cfg = this.config(conn.integration);
    const tokens = await refreshTokens(appClient(cfg, this.deps.env), refreshToken);
    await storeTokens(db, box, conn.id, tokens);
    return tokens;
  }
}
