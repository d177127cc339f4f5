// Fakes of third-party services (Slack, GitHub) as real HTTP servers on 127.0.0.1, and
// request signatures computed the way those services compute them.
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { importSPKI, jwtVerify } from "jose";
import { type WebSocket, WebSocketServer } from "ws";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

async function serve(handler: Handler): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Slack's v0 signature: "v0=" + hex HMAC-SHA256 of "v0:<timestamp>:<body>".
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return "v0=" + createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex");
}

// GitHub's X-Hub-Signature(-256) value.
export function githubSignature(secret: string, body: string, algorithm = "sha256"): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest("hex")}`;
}

// A service's fake with an HTTP API and a WebSocket server on one loopback port: the
// sockets it accepted, which a test can drop, all closed with it.
export class FakeWithSockets {
  readonly sockets: WebSocket[] = [];
  protected server!: Server;
  protected wss!: WebSocketServer;
  port = 0;

  get open(): WebSocket[] {
    return this.sockets.filter((s) => s.readyState === 1);
  }

  dropAll(): void {
    for (const ws of this.open) ws.terminate();
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

// Slack's Web API (auth.test, apps.connections.open) and a Socket Mode WebSocket server.
export class FakeSlack extends FakeWithSockets {
  readonly acks: { envelope_id: string; payload?: Record<string, unknown> }[] = [];
  opens = 0;
  failOpens = 0;

  constructor(readonly tokens: Record<string, { user: string; team: string }>) {
    super();
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  async start(): Promise<this> {
    ({ server: this.server, port: this.port } = await serve((req, _body, res) => {
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      if (req.url === "/api/auth.test") {
        const who = this.tokens[token];
        return json(res, 200, who ? { ok: true, ...who } : { ok: false, error: "invalid_auth" });
      }
      if (req.url === "/api/apps.connections.open") {
        if (!token.startsWith("xapp-")) return json(res, 200, { ok: false, error: "not_allowed" });
        if (this.failOpens > 0) {
          this.failOpens--;
          return json(res, 200, { ok: false, error: "internal_error" });
        }
        this.opens++;
        return json(res, 200, {
          ok: true,
          url: `ws://127.0.0.1:${this.port}/link?n=${this.opens}`,
        });
      }
      json(res, 404, { ok: false, error: "unknown_method" });
    }));
    this.wss = new WebSocketServer({ server: this.server, path: "/link" });
    this.wss.on("connection", (ws) => {
      this.sockets.push(ws);
      ws.on("message", (raw) => this.acks.push(JSON.parse(String(raw))));
      ws.send(JSON.stringify({ type: "hello", num_connections: 1 }));
    });
    return this;
  }

  // Sends an envelope on the newest open socket.
  send(envelope: Record<string, unknown>): void {
    const ws = this.open.at(-1);
    if (!ws) throw new Error("no open Socket Mode connection");
    ws.send(JSON.stringify(envelope));
  }
}

// GitHub's REST API: GET /user for PATs, and installation tokens for a GitHub App whose
// JWT it verifies with the app's public key.
export class FakeGitHub {
  private server!: Server;
  port = 0;
  readonly tokenRequests: { installId: string; issuer: string }[] = [];

  constructor(
    readonly pats: Record<string, string>,
    readonly app: { appId: string; publicKeyPem: string },
  ) {}

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const publicKey = await importSPKI(this.app.publicKeyPem, "RS256");
    ({ server: this.server, port: this.port } = await serve((req, _body, res) => {
      const auth = req.headers.authorization ?? "";
      if (req.method === "GET" && req.url === "/user") {
        const login = this.pats[auth.replace(/^(token|Bearer) /, "")];
        return login ? json(res, 200, { login }) : json(res, 401, { message: "Bad credentials" });
      }
      const m = req.url?.match(/^\/app\/installations\/(\d+)\/access_tokens$/);
      if (req.method === "POST" && m) {
        jwtVerify(auth.replace(/^Bearer /, ""), publicKey, { algorithms: ["RS256"] })
          .then(({ payload }) => {
            this.tokenRequests.push({ installId: m[1], issuer: String(payload.iss) });
            if (payload.iss !== this.app.appId) return json(res, 401, { message: "wrong app" });
            json(res, 201, {
              token: `ghs_install_${m[1]}`,
              expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            });
          })
          .catch((err) => json(res, 401, { message: `bad JWT: ${err.message}` }));
        return;
      }
      json(res, 404, { message: "Not Found" });
    }));
    return this;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}
