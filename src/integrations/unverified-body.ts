// Reading the body of a request whose signature is checked only once it is read (GitHub,
// Slack). Anyone can post such a body, so it costs the daemon as little as possible until
// it is verified: a Content-Length over the route's limit is refused before a byte is
// read; the body is read in chunks (never parsed, never copied) up to that limit, within
// a time limit; and the bytes held by all bodies not yet verified are bounded across the
// daemon, so many large forged posts at once get 503 instead of filling memory.

// What all unverified bodies read at once may hold: two of GitHub's largest (25 MB) and
// room for small ones.
export const UNVERIFIED_BYTES = 64 << 20;
// GitHub gives up on a delivery after 10 s, Slack after 3 s: a body still arriving after
// this is not theirs.
export const READ_TIMEOUT_MS = 15_000;

export type Refusal = {
  status: 400 | 408 | 413 | 503;
  error: string;
  headers?: Record<string, string>;
};

// The body as read: its chunks (verify over them with an incremental MAC), then `bytes()`.
export class Body {
  constructor(readonly chunks: readonly Uint8Array[], readonly size: number) {}

  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

// Bytes held by unverified bodies of this daemon.
export class ByteBudget {
  private used = 0;
  constructor(readonly limit: number) {}

  get free(): number {
    return this.limit - this.used;
  }

  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used -= n;
  }
}

const shared = new ByteBudget(UNVERIFIED_BYTES);

const busy = (): Refusal => ({
  status: 503,
  error: "too many unverified request bodies at once: retry later",
  headers: { "Retry-After": "5" },
});

// Reads a request's body and hands it to `verify` (synchronous: a signature check), or
// says why it could not be read. The body's bytes count against the budget until `verify`
// returns.
export async function readUnverified<T>(
  req: Request,
  maxBytes: number,
  verify: (body: Body) => T,
  opts: { budget?: ByteBudget; timeoutMs?: number } = {},
): Promise<T | Refusal> {
  const budget = opts.budget ?? shared;
  const tooLarge: Refusal = { status: 413, error: `body larger than ${maxBytes} bytes` };
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    if (!/^\d{1,15}$/.test(declared)) return { status: 400, error: "bad Content-Length" };
    if (Number(declared) > maxBytes) return tooLarge;
    if (Number(declared) > budget.free) return busy();
  }
  if (!req.body) return verify(new Body([], 0));
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), opts.timeoutMs ?? READ_TIMEOUT_MS);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), timedOut]).catch(() => "cut" as const);
      if (next === "timeout") return { status: 408, error: "body not received in time" };
      if (next === "cut") {
        return { status: 400, error: "body not received: the request was cut off" };
      }
      if (next.done) return verify(new Body(chunks, size));
      size += next.value.length;
      if (size > maxBytes) return tooLarge;
      if (!budget.take(next.value.length)) return busy();
      chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
    budget.give(chunks.reduce((n, c) => n + c.length, 0));
    // The rest of a refused body is drained (or the connection closed) by the server.
    reader.releaseLock();
  }
}
