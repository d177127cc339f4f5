// A fake OAuth 2.0 provider on 127.0.0.1: an authorize endpoint that consents at once
// (redirecting to the client's redirect_uri with a code), and a token endpoint that checks
// the client secret and the PKCE verifier, issues short-lived tokens and refreshes them
// (rotating the refresh token).
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

type Code = { challenge?: string; redirectUri: string; used: boolean };

export class FakeOAuth {
  port = 0;
  // Seconds the next issued access token lives.
  expiresIn = 3600;
  failRefresh = false;
  exchanges = 0;
  refreshes = 0;
  readonly rejected: string[] = [];
  readonly accessTokens: string[] = [];
  readonly refreshTokens: string[] = [];
  private readonly codes = new Map<string, Code>();
  private liveRefresh?: string;
  private server!: Server;

  constructor(readonly clientId: string, readonly clientSecret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get lastAccessToken(): string {
    return this.accessTokens.at(-1)!;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const answer = req.method === "GET"
          ? this.authorize(new URL(req.url!, this.url))
          : this.token(new URLSearchParams(body), req.headers.authorization);
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private authorize(u: URL) {
    const q = u.searchParams;
    const redirectUri = q.get("redirect_uri") ?? "";
    if (q.get("client_id") !== this.clientId || q.get("response_type") !== "code") {
      return this.error(400, "invalid_request", "bad client_id or response_type");
    }
    const code = `code-${randomBytes(8).toString("hex")}`;
    this.codes.set(code, {
      challenge: q.get("code_challenge_method") === "S256"
        ? q.get("code_challenge") ?? undefined
        : undefined,
      redirectUri,
      used: false,
    });
    const back = new URL(redirectUri);
    back.searchParams.set("code", code);
    back.searchParams.set("state", q.get("state") ?? "");
    return { status: 302, headers: { location: back.href }, body: "" };
  }

  private token(form: URLSearchParams, authorization?: string) {
    let id = form.get("client_id");
    let secret = form.get("client_secret");
    if (authorization?.startsWith("Basic ")) {
      const [u, p] = Buffer.from(authorization.slice(6), "base64").toString().split(":");
      [id, secret] = [decodeURIComponent(u), decodeURIComponent(p)];
    }
    if (id !== this.clientId || secret !== this.clientSecret) {
      return this.error(401, "invalid_client", "wrong client credentials");
    }
    if (form.get("grant_type") === "authorization_code") {
      const code = this.codes.get(form.get("code") ?? "");
      if (!code || code.used || code.redirectUri !== form.get("redirect_uri")) {
        return this.error(400, "invalid_grant", "unknown or used code");
      }
      code.used = true;
      const verifier = form.get("code_verifier") ?? "";
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      if (!code.challenge || challenge !== code.challenge) {
        return this.error(400, "invalid_grant", "PKCE verification failed");
      }
      this.exchanges++;
      return this.issue();
    }
    if (form.get("grant_type") === "refresh_token") {
      if (this.failRefresh) return this.error(400, "invalid_grant", "refresh token revoked");
      if (!this.liveRefresh || form.get("refresh_token") !== this.liveRefresh) {
        return this.error(400, "invalid_grant", "stale refresh token");
      }
      this.refreshes++;
      return this.issue();
    }
    return this.error(400, "unsupported_grant_type", "");
  }

  private issue() {
    const access = `fake-access-${randomBytes(12).toString("hex")}`;
    const refresh = `fake-refresh-${randomBytes(12).toString("hex")}`;
    this.accessTokens.push(access);
    this.refreshTokens.push(refresh);
    this.liveRefresh = refresh;
    return this.json(200, {
      access_token: access,
      refresh_token: refresh,
      token_type: "Bearer",
      expires_in: this.expiresIn,
    });
  }

  private error(status: number, error: string, description: string) {
    this.rejected.push(`${error}: ${description}`);
    return this.json(status, { error, error_description: description });
  }

  private json(status: number, value: unknown) {
    return {
      status,
      headers: { "content-type": "application/json", "cache-control": "no-store" },
      body: JSON.stringify(value),
    };
  }
}
