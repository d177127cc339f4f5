// The CLI's client for the daemon's management API.
import { readFileSync } from "node:fs";
import { tokenFile } from "../server/auth.ts";
import { NDJSON } from "../server/api/progress.ts";
import { dataDir } from "../core/util/paths.ts";

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

export function exitCodeFor(status: number): number {
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
    return await this.answer<T>(await this.send(method, path, body));
  }

  // A call whose answer may be progress lines before the result (NDJSON, see
  // server/api/progress.ts): each line goes to onProgress as it comes.
  async callWithProgress<T>(
    method: string,
    path: string,
    body: unknown,
    onProgress: (line: string) => void,
  ): Promise<T> {
    const res = await this.send(method, path, body, `${NDJSON}, application/json`);
    if (!res.ok || !res.headers.get("content-type")?.startsWith(NDJSON)) {
      return await this.answer<T>(res);
    }
    let rest = "";
    let last: { result?: T; error?: string; status?: number } | undefined;
    const take = (line: string) => {
      if (!line.trim()) return;
      const msg = JSON.parse(line) as { progress?: string; result?: T; error?: string };
      if (typeof msg.progress === "string") onProgress(msg.progress);
      else last = msg;
    };
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      lines.forEach(take);
    }
    take(rest);
    if (!last) throw new CliError("the daemon ended the answer early");
    if (last.error !== undefined) {
      throw new CliError(last.error, exitCodeFor(last.status ?? 500));
    }
    return last.result as T;
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    accept?: string,
  ): Promise<Response> {
    try {
      return await fetch(this.url + path, {
        method,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...(accept ? { accept } : {}),
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
  }

  private async answer<T>(res: Response): Promise<T> {
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

  // A GET whose answer is bytes, not JSON: the response, once it is known to be a success.
  async download(path: string): Promise<Response> {
    const res = await this.send("GET", path, undefined);
    if (!res.ok) await this.answer(res);
    return res;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }

  // A GET for `get` commands: "not found" is said on stderr and exits 0, unless `fail`
  // (AutoKitteh's `get -f/--fail`) makes it an error.
  async find<T>(path: string, fail = false): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (fail || !(err instanceof CliError) || err.code !== EXIT.notFound) throw err;
      console.error(err.message);
      return undefined;
    }
  }

  // The headers that authenticate to the daemon, for the WebSocket tail.
  authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }
}

function readToken(): string | undefined {
  try {
    return readFileSync(tokenFile(dataDir()), "utf8").trim();
  } catch {
    return undefined;
  }
}
