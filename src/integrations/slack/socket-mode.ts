// Slack Socket Mode: for each connection with an app-level token (`private_app_token`),
// an outbound WebSocket that delivers the same events as the HTTP routes. It asks
// apps.connections.open for a socket URL, acknowledges every envelope after its event is
// stored, and reconnects with exponential backoff when the link drops or Slack asks.
// https://api.slack.com/apis/socket-mode
import WebSocket from "ws";
import { connectionsOf } from "../../core/projects/connections.ts";
import { log, logFailure } from "../../core/util/log.ts";
import { deliver, type Destination } from "../deliver.ts";
import { ReconnectingLink } from "../reconnecting-link.ts";
import type { IntegrationContext, Service } from "../types.ts";
import { callSlack } from "./api.ts";
import {
  fromEventCallback,
  fromInteraction,
  fromSlashCommand,
  type Parsed,
  slashCommandReply,
} from "./events.ts";

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const PING_EVERY_MS = 30_000;

export function backoff(attempt: number, random = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
  return Math.round(base * (0.8 + 0.4 * random()));
}

type Envelope = { envelope_id: string; type: string; payload?: unknown };

// Returns the payload to acknowledge the envelope with, if any.
type EnvelopeHandler = (envelope: Envelope) => Promise<Record<string, unknown> | undefined>;

type State = "connected" | "waiting";

export class SocketModeLink extends ReconnectingLink<State> {
  private ws?: WebSocket;

  constructor(
    connectionId: string,
    private readonly appToken: string,
    private readonly onEnvelope: EnvelopeHandler,
  ) {
    super("slack socket mode", connectionId, "waiting", backoff);
    this.start();
  }

  describe(): string {
    return this.state === "waiting"
      ? `socket mode: reconnecting (attempt ${this.attempts + 1})`
      : `socket mode: ${this.state}`;
  }

  close(): Promise<void> {
    return this.stop(() => this.ws?.terminate());
  }

  protected async attempt(): Promise<void> {
    const opened = await callSlack(
      "apps.connections.open",
      this.appToken,
      {},
      this.stopping.signal,
    );
    if (typeof opened.url !== "string") throw new Error("apps.connections.open: no url");
    if (!this.closed) await this.run(opened.url);
  }

  // Resolves when the socket closes, rejects if it fails.
  private run(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      this.ws = ws;
      let alive = true;
      const ping = setInterval(() => {
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      }, PING_EVERY_MS);
      ws.on("pong", () => (alive = true));
      ws.on("message", (raw) => {
        this.onMessage(ws, String(raw)).catch(logFailure("slack socket mode: message failed"));
      });
      ws.on("error", (err) => reject(err));
      ws.on("close", () => {
        clearInterval(ping);
        resolve();
      });
    });
  }

  private async onMessage(ws: WebSocket, text: string): Promise<void> {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text);
    } catch {
      log.warn("slack socket mode: not JSON", { connection: this.connectionId });
      return;
    }
    if (msg.type === "hello") {
      this.state = "connected";
      this.attempts = 0;
      log.info("slack socket mode: connected", { connection: this.connectionId });
      return;
    }
    // Slack is about to drop this socket (e.g. to refresh it): get a new one.
    if (msg.type === "disconnect") return void ws.close();
    if (typeof msg.envelope_id !== "string") return;
    try {
      const payload = await this.onEnvelope(msg as Envelope);
      ws.send(JSON.stringify({ envelope_id: msg.envelope_id, ...(payload ? { payload } : {}) }));
    } catch (err) {
      // Not acknowledged: Slack sends it again.
      log.error("slack socket mode: envelope failed", {
        connection: this.connectionId,
        error: (err as Error).message,
      });
    }
  }
}

function parseEnvelope(envelope: Envelope): Parsed & { reply?: Record<string, unknown> } {
  const payload = (envelope.payload ?? {}) as Record<string, unknown>;
  switch (envelope.type) {
    case "events_api":
      return fromEventCallback(payload);
    case "slash_commands": {
      const parsed = fromSlashCommand(payload);
      return { ...parsed, reply: slashCommandReply(parsed.event!.data) };
    }
    case "interactive":
      return fromInteraction(payload);
    default:
      return { installIds: "", event: null };
  }
}

// One link per Socket Mode connection, kept in line with the database on every reload.
export class SocketMode implements Service {
  private readonly links = new Map<string, { token: string; link: SocketModeLink }>();

  constructor(private readonly ctx: IntegrationContext) {}

  async reload(): Promise<void> {
    const conns = (await connectionsOf(this.ctx.db, this.ctx.box, "slack"))
      .filter((c) => c.vars.private_app_token);
    const wanted = new Map(conns.map((c) => [c.id, c]));
    for (const [id, { token, link }] of this.links) {
      if (wanted.get(id)?.vars.private_app_token !== token) {
        this.links.delete(id);
        await link.close();
      }
    }
    for (const c of conns) {
      if (this.links.has(c.id)) continue;
      const token = c.vars.private_app_token;
      const link = new SocketModeLink(c.id, token, (e) => this.handle(c, e));
      this.links.set(c.id, { token, link });
    }
  }

  status(connectionId: string): string | undefined {
    return this.links.get(connectionId)?.link.describe();
  }

  async close(): Promise<void> {
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map(({ link }) => link.close()));
  }

  private async handle(conn: Destination, envelope: Envelope) {
    const parsed = parseEnvelope(envelope);
    if (parsed.event) await deliver(this.ctx, [conn], parsed.event.eventType, parsed.event.data);
    return parsed.reply;
  }
}
