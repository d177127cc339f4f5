// Test clients of the live tail: a WebSocket client that collects every message, and the
// CLI run as a child process whose output is read while it runs.
import { type ChildProcess, spawn } from "node:child_process";
import WebSocket from "ws";
import { pounceCommand, ROOT } from "./daemon.ts";

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

// The real CLI as a child process whose output can be read while it runs.
export class LiveCli {
  stdout = "";
  stderr = "";
  readonly exited: Promise<number>;
  private readonly proc: ChildProcess;
  private waiters: (() => void)[] = [];

  constructor(args: string[], env: Record<string, string>) {
    const [cmd, ...pre] = pounceCommand();
    this.proc = spawn(cmd, [...pre, ...args], {
      env,
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc.stdout!.setEncoding("utf8").on("data", (s: string) => {
      this.stdout += s;
      this.wake();
    });
    this.proc.stderr!.setEncoding("utf8").on("data", (s: string) => {
      this.stderr += s;
      this.wake();
    });
    this.exited = new Promise((resolve) =>
      this.proc.on("exit", (code) => {
        resolve(code ?? 1);
        this.wake();
      })
    );
  }

  // Waits until stdout (or stderr) matches.
  async waitFor(pattern: RegExp, stream: "stdout" | "stderr" = "stdout"): Promise<void> {
    while (!pattern.test(this[stream])) {
      if (this.proc.exitCode !== null) {
        throw new Error(`exited before ${pattern}:\n${this.stdout}\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  kill(): void {
    this.proc.kill();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
