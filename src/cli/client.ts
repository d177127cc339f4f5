// The CLI's client for the daemon's management API.
import { readFileSync } from "node:fs";
import { tokenFile } from "../server/auth.ts";
import { dataDir } from "../core/paths.ts";

// Exit codes as AutoKitteh's `ak` uses them.
export const EXIT = {
  generic: 1,
  badRequest: 40,
  unauthenticated: 41,
  precondition: 42,
  notFound: 44,
} as const;

export class CliError extends Error {
  constructor(message: string, readonly code: number = EXIT.generic) {
    super(message);
  }
}

function exitCodeFor(status: number): number {
  if (status === 400 || status === 413) return EXIT.badRequest;
  if (status === 401) return EXIT.unauthenticated;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.precondition;
  return EXIT.generic;
}

export type ClientOptions = { url?: string; token?: string };

export class Client {
  readonly url: string;
  private readonly token: string | undefined;

  constructor(opts: ClientOptions = {}) {
    this.url = (opts.url ?? process.env.POUNCE_URL ?? "http://127.0.0.1:9980").replace(/\/$/, "");
    this.token = opts.token ?? process.env.POUNCE_TOKEN ?? readToken();
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      throw new CliError(
        `cannot reach the daemon at ${this.url} (is \`pounce up\` running?): ${
          (err as Error).message
        }`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = { error: text };
    }
    if (!res.ok) {
      const message = (json as { error?: string }).error ?? `HTTP ${res.status}`;
      throw new CliError(message, exitCodeFor(res.status));
    }
    return json as T;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }
}

function readToken(): string | undefined {
  try {
    return readFileSync(tokenFile(dataDir()), "utf8").trim();
  } catch {
    return undefined;
  }
}
