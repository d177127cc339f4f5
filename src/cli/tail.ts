// The CLI's side of the WebSocket tail (docs/protocol.md): follow one session until it
// ends, reconnecting after a dropped connection and resuming after the last record seen.
import WebSocket from "ws";
import { type Client, CliError, EXIT, exitCodeFor } from "./client.ts";
import type { TailRecord } from "./records.ts";

type Message = Record<string, unknown> & { op: string; sub?: string };

const FINAL_STATES = ["completed", "error", "stopped"];
const RETRY_MS = 500;
// How long the daemon may be unreachable (a restart) before following gives up.
const RETRY_FOR_MS = 30_000;

class Unreachable extends CliError {}

class Connection {
  private readonly queue: Message[] = [];
  private wake?: () => void;
  private closed = false;

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      try {
        this.queue.push(JSON.parse(data.toString()));
      } catch {
        return;
      }
      this.wake?.();
    });
    ws.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
    // A failed connection also closes; the close is what `next` reports.
    ws.on("error", () => {});
  }

  static open(client: Client): Promise<Connection> {
    const url = `${client.url.replace(/^http/, "ws")}/api/ws`;
    const ws = new WebSocket(url, { headers: client.authHeaders() });
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new Connection(ws)));
      // A refused upgrade: the daemon's JSON error, with its status as the exit code.
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          let message = `HTTP ${res.statusCode}`;
          try {
            message = JSON.parse(body).error ?? message;
          } catch { /* not JSON */ }
          reject(new CliError(message, exitCodeFor(res.statusCode ?? 500)));
          ws.terminate();
        });
      });
      ws.on("error", (err) =>
        reject(
          new Unreachable(
            `cannot reach the daemon at ${client.url} (is \`pounce up\` running?): ${err.message}`,
          ),
        ));
    });
  }

  send(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  // The next message, or undefined once the connection is closed.
  async next(): Promise<Message | undefined> {
    for (;;) {
      const m = this.queue.shift();
      if (m) return m;
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  close(): void {
    this.ws.close();
  }
}

function failure(m: Message): CliError {
  return new CliError(String(m.error), exitCodeFor(Number(m.status)));
}

async function connect(client: Client, since: number): Promise<Connection> {
  for (;;) {
    try {
      return await Connection.open(client);
    } catch (err) {
      if (!(err instanceof Unreachable) || Date.now() - since > RETRY_FOR_MS) throw err;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

export type FollowOptions = {
  types?: string[];
  // Called for each record in order; returning true stops following.
  onRecord(record: TailRecord): boolean | void;
};

export type Followed = { sessionId: string; state?: string; stoppedEarly: boolean };

// Follows a session (an id, or a project name meaning its latest session) until it reaches
// a final state. A dropped connection is reopened and resumed after the last record.
export async function followSession(
  client: Client,
  ref: string,
  opts: FollowOptions,
): Promise<Followed> {
  let sessionId = ref;
  let after = 0;
  let lostAt = Date.now();
  for (;;) {
    const conn = await connect(client, lostAt);
    conn.send({ op: "subscribe", sub: "s", session: sessionId, after, types: opts.types });
    for (;;) {
      const m = await conn.next();
      if (!m) break;
      if (m.op === "error") throw failure(m);
      if (m.op === "subscribed") sessionId = String(m.session_id);
      if (m.op === "end") {
        conn.close();
        return { sessionId, state: String(m.state), stoppedEarly: false };
      }
      if (m.op !== "record") continue;
      const { op: _op, sub: _sub, ...record } = m;
      after = Number(m.seq);
      if (opts.onRecord(record as unknown as TailRecord)) {
        conn.close();
        return { sessionId, stoppedEarly: true };
      }
    }
    lostAt = Date.now();
  }
}

// What to follow for `<session id | project>`: a session id as it is; for a project, its
// latest session while that one still runs, else the next session the project starts.
export async function liveTarget(
  client: Client,
  ref: string,
  waiting: (project: string) => void,
): Promise<string> {
  if (ref.startsWith("ses_")) return ref;
  let checked = false;
  let latest: string | undefined;
  let after: number | undefined;
  let lostAt = Date.now();
  for (;;) {
    const conn = await connect(client, lostAt);
    try {
      conn.send({ op: "subscribe", sub: "p", project: ref, after });
      for (;;) {
        const m = await conn.next();
        if (!m) break;
        if (m.op === "error") throw failure(m);
        if (m.op === "subscribed" && !checked) {
          after = Number(m.after);
          const { sessions } = await client.get<
            { sessions: { session_id: string; state: string }[] }
          >(
            `/api/sessions?${new URLSearchParams({ project: ref, limit: "1" })}`,
          );
          checked = true;
          latest = sessions[0]?.session_id;
          if (sessions[0] && !FINAL_STATES.includes(sessions[0].state)) {
            return sessions[0].session_id;
          }
          waiting(ref);
        }
        if (m.op !== "record") continue;
        after = Number(m.cursor);
        if (m.session_id !== latest) return String(m.session_id);
      }
    } finally {
      conn.close();
    }
    lostAt = Date.now();
  }
}

export function withTimeout<T>(work: Promise<T>, ms: number | undefined, what: string): Promise<T> {
  if (ms === undefined) return work;
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`timed out ${what}`, EXIT.generic)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

// "500ms", "30s", "2m", "1h", or a number of seconds.
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) {
    throw new CliError(`bad duration "${text}": use e.g. 500ms, 30s, 2m, 1h`, EXIT.badRequest);
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"]!;
  return Number(m[1]) * unit;
}
