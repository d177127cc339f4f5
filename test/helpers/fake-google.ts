// Google's REST APIs as a fake on 127.0.0.1, for the tests of Google sources: a JSON
// server that refuses a call without the good access token (noting its path) and answers
// the others from the test's routes; an unknown path is a 404 in Google's shape.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

// The access token the fake accepts.
export const GOOGLE_ACCESS_TOKEN = "ya29.good-access-token";

export type GoogleCall = {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown> | undefined;
};

// An answer: its HTTP status and JSON body.
export type GoogleReply = [status: number, body: unknown];

export abstract class FakeGoogleApi {
  // The paths of calls refused for their token.
  readonly unauthorized: string[] = [];
  private server!: Server;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  // Answers an authorized call; undefined: no such path.
  protected abstract route(call: GoogleCall): GoogleReply | undefined;

  // Answers a call that needs no token (a public endpoint); undefined: it needs one.
  protected unauthenticated(_call: GoogleCall): GoogleReply | undefined {
    return undefined;
  }

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const url = new URL(req.url ?? "/", this.url);
      const call: GoogleCall = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        body: await readJson(req),
      };
      const reply = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      const open = this.unauthenticated(call);
      if (open) return reply(...open);
      if (req.headers.authorization !== `Bearer ${GOOGLE_ACCESS_TOKEN}`) {
        this.unauthorized.push(call.path);
        return reply(401, { error: { code: 401, message: "Invalid Credentials" } });
      }
      reply(...this.route(call) ?? [404, { error: { code: 404, message: `no ${call.path}` } }]);
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text ? JSON.parse(text) : undefined;
}
