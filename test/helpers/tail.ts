// A test client for the daemon's WebSocket tail: collects every message it receives.
import WebSocket from "ws";

// deno-lint-ignore no-explicit-any
export type Message = Record<string, any>;

export class TailClient {
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(data.toString()));
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      })
    );
  }

  // Opens `<daemon>/api/ws?<query>`; rejects with the HTTP status when the upgrade is refused.
  static open(
    daemonUrl: string,
    query: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<TailClient> {
    const url = `${daemonUrl.replace(/^http/, "ws")}/api/ws?${new URLSearchParams(query)}`;
    const ws = new WebSocket(url, { headers });
    const client = new TailClient(ws);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(client));
      ws.once("unexpected-response", (_req, res) => {
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
        res.resume();
        ws.terminate();
      });
      ws.once("error", reject);
    });
  }

  send(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  close(): void {
    this.ws.close();
  }

  // The first message received (so far or later) that satisfies `match`.
  async waitFor(match: (m: Message) => boolean, what = "a message"): Promise<Message> {
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(`socket closed before ${what}; got ${JSON.stringify(this.messages)}`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  records(sub?: string): Message[] {
    return this.messages.filter((m) => m.op === "record" && (sub === undefined || m.sub === sub));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export const isPrint = (text: string) => (m: Message) =>
  m.op === "record" && m.type === "print" && m.data.text === text;
