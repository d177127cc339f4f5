// The WebSocket live tail on the daemon's port: session log records as they are written,
// for one session or a whole project, resumable from a position (docs/protocol.md).
import { type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { z } from "zod";
import type { LiveRecord } from "../core/sessions/log-bus.ts";
import { log, logFailure } from "../core/util/log.ts";
import { ApiError } from "./api/errors.ts";
import { iso } from "./api/json.ts";
import { projectByName, sessionByRef } from "./api/lookup.ts";
import { tokenMatches, uiCookieIn } from "./auth.ts";
import type { Engine } from "./engine.ts";
import { type HostCheck, hostRefusal } from "./host-check.ts";
import { Follow, type Scope } from "./tail-follow.ts";

export const TAIL_PATH = "/api/ws";
const MAX_MESSAGE_BYTES = 64 * 1024;
// A client that reads slower than records are written is closed (1013); it resumes from
// the last position it got.
const MAX_BUFFERED_BYTES = 8 << 20;
const MAX_SUBSCRIPTIONS = 100;
const PING_MS = 30_000;

const RECORD_TYPES = [
  "print",
  "call_spec",
  "call_attempt_start",
  "call_attempt_complete",
  "state",
  "stop_request",
  "outcome",
] as const;

const subscribeSchema = z.object({
  op: z.literal("subscribe"),
  sub: z.string().max(100).default("0"),
  session: z.string().min(1).max(200).optional(),
  project: z.string().min(1).max(200).optional(),
  after: z.number().int().nonnegative().optional(),
  types: z.array(z.enum(RECORD_TYPES)).optional(),
}).strict();

const unsubscribeSchema = z.object({ op: z.literal("unsubscribe"), sub: z.string() }).strict();

type Subscribe = z.infer<typeof subscribeSchema>;

export type Tail = { close(): void };

// A browser always sends Origin on a WebSocket handshake, and the same-origin policy does
// not apply to WebSockets: the UI's cookie counts only from a page of the daemon's origin.
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin || !req.headers.host) return false;
  try {
    const o = new URL(origin);
    return (o.protocol === "http:" || o.protocol === "https:") &&
      o.host === new URL(`http://${req.headers.host}`).host;
  } catch {
    return false;
  }
}

// Bearer header or `?token=` (CLI, scripts), or the web UI's cookie from the UI's origin.
function authorized(req: IncomingMessage, url: URL, token: string): boolean {
  const header = req.headers.authorization ?? "";
  const given = header.startsWith("Bearer ")
    ? header.slice(7).trim()
    : url.searchParams.get("token");
  if (given) return tokenMatches(token, given);
  return sameOrigin(req) && uiCookieIn(token, req.headers.cookie);
}

export function attachTail(
  server: Server,
  engine: Engine,
  token: string,
  knownHost: HostCheck,
): Tail {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => {});
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== TAIL_PATH) return refuse(socket, 404, "not found");
    if (!knownHost(req.headers.host)) return refuse(socket, 403, hostRefusal(req.headers.host));
    if (!authorized(req, url, token)) {
      return refuse(socket, 401, "unauthorized: missing or wrong API token");
    }
    let initial: Subscribe | undefined;
    try {
      initial = subscribeFromUrl(url.searchParams);
    } catch (err) {
      return refuse(socket, 400, (err as Error).message);
    }
    wss.handleUpgrade(req, socket, head, (ws) => new TailConnection(ws, engine, initial));
  };
  server.on("upgrade", onUpgrade);

  const alive = new WeakSet<WebSocket>();
  wss.on("connection", (ws) => {
    alive.add(ws);
    ws.on("pong", () => alive.add(ws));
  });
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) ws.terminate();
      else {
        alive.delete(ws);
        ws.ping();
      }
    }
  }, PING_MS);
  pinger.unref?.();

  return {
    close() {
      clearInterval(pinger);
      server.off("upgrade", onUpgrade);
      for (const ws of wss.clients) ws.close(1001, "daemon shutting down");
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

// `?session=…` or `?project=…` (with `after`, `types=a,b`) subscribes at connect time.
function subscribeFromUrl(q: URLSearchParams): Subscribe | undefined {
  if (!q.has("session") && !q.has("project")) return undefined;
  const after = q.get("after");
  const types = q.get("types");
  const parsed = subscribeSchema.safeParse({
    op: "subscribe",
    sub: "url",
    session: q.get("session") ?? undefined,
    project: q.get("project") ?? undefined,
    after: after === null ? undefined : Number(after),
    types: types ? types.split(",") : undefined,
  });
  if (!parsed.success) throw new Error(`bad subscription: ${describe(parsed.error)}`);
  return parsed.data;
}

function describe(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join(".") || "message"}: ${i.message}`).join("; ");
}

function recordJson(sub: string, r: LiveRecord) {
  return {
    op: "record",
    sub,
    cursor: r.id,
    session_id: r.sessionId,
    project_id: r.projectId,
    seq: r.seq,
    type: r.type,
    time: iso(r.createdAt),
    data: r.data,
  };
}

class TailConnection {
  private readonly subs = new Map<string, Follow>();
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly engine: Engine,
    initial: Subscribe | undefined,
  ) {
    ws.on("message", (data, isBinary) => this.onMessage(data, isBinary));
    ws.on("close", () => {
      this.closed = true;
      for (const follow of this.subs.values()) follow.stop();
      this.subs.clear();
    });
    ws.on("error", () => {});
    if (initial) this.subscribe(initial, true).catch(logFailure("tail subscription failed"));
  }

  private send(message: object): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ws.close(1013, "client too slow; resume from the last position");
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    let msg: unknown;
    try {
      if (isBinary) throw new Error("binary");
      msg = JSON.parse(data.toString());
    } catch {
      return this.send({ op: "error", status: 400, error: "messages are JSON text" });
    }
    const op = (msg as { op?: unknown } | null)?.op;
    const sub = (msg as { sub?: unknown } | null)?.sub;
    const schema = op === "subscribe"
      ? subscribeSchema
      : op === "unsubscribe"
      ? unsubscribeSchema
      : undefined;
    if (!schema) {
      return this.send({
        op: "error",
        status: 400,
        error: 'op must be "subscribe" or "unsubscribe"',
      });
    }
    const parsed = schema.safeParse(msg);
    if (!parsed.success) {
      return this.send({ op: "error", sub, status: 400, error: describe(parsed.error) });
    }
    if (parsed.data.op === "subscribe") {
      this.subscribe(parsed.data, false).catch(logFailure("tail subscription failed"));
    } else this.unsubscribe(parsed.data.sub);
  }

  private unsubscribe(sub: string): void {
    this.subs.get(sub)?.stop();
    this.subs.delete(sub);
    this.send({ op: "unsubscribed", sub });
  }

  private async subscribe(m: Subscribe, fromUrl: boolean): Promise<void> {
    const fail = (status: number, error: string) => {
      this.send({ op: "error", sub: m.sub, status, error });
      if (fromUrl) this.ws.close(1008, error.slice(0, 120));
    };
    if (!m.session === !m.project) return fail(400, "give exactly one of session or project");
    if (this.subs.has(m.sub)) return fail(400, `subscription "${m.sub}" already exists`);
    if (this.subs.size >= MAX_SUBSCRIPTIONS) return fail(400, "too many subscriptions");
    let scope: Scope;
    let state: string | undefined;
    try {
      if (m.session) {
        const s = await sessionByRef(this.engine, m.session);
        scope = { kind: "session", sessionId: s.id, projectId: s.projectId };
        state = s.state;
      } else {
        scope = { kind: "project", projectId: (await projectByName(this.engine, m.project)).id };
      }
    } catch (err) {
      if (err instanceof ApiError) return fail(err.status, err.message);
      log.error("tail subscription failed", { error: (err as Error).message });
      return fail(500, "internal error");
    }
    if (this.closed) return;
    if (this.subs.has(m.sub)) return fail(400, `subscription "${m.sub}" already exists`);
    const follow = new Follow(this.engine.sessions, {
      scope,
      after: m.after,
      types: m.types,
      ready: (after) =>
        this.send({
          op: "subscribed",
          sub: m.sub,
          session_id: scope.kind === "session" ? scope.sessionId : undefined,
          project_id: scope.projectId,
          state,
          after,
        }),
      send: (r) => this.send(recordJson(m.sub, r)),
      end: (endState) => {
        this.subs.delete(m.sub);
        this.send({
          op: "end",
          sub: m.sub,
          session_id: scope.kind === "session" ? scope.sessionId : undefined,
          state: endState,
        });
        if (fromUrl) this.ws.close(1000, "session ended");
      },
    });
    this.subs.set(m.sub, follow);
    try {
      await follow.start();
    } catch (err) {
      this.subs.delete(m.sub);
      log.error("tail subscription failed", { error: (err as Error).message });
      fail(500, "internal error");
    }
  }
}
