// One Discord bot's gateway link: an outbound WebSocket that identifies with the bot
// token, heartbeats, hands every dispatch on in order, and resumes its session (Discord
// redelivers what it missed) when the socket drops, Discord asks, or a heartbeat goes
// unacknowledged. Close codes that retrying cannot fix (a bad token) stop it, and
// describe() says why. https://discord.com/developers/docs/events/gateway
import WebSocket from "ws";
import { log } from "../../core/util/log.ts";
import { ReconnectingLink, STOP } from "../reconnecting-link.ts";
import { callDiscord, DiscordApiError } from "./api.ts";
import type { Received } from "./events.ts";
import {
  backoff,
  CLOSE_TO_RESUME,
  FATAL_CLOSE,
  type Frame,
  gatewayUrl,
  Op,
  SESSION_GONE,
} from "./protocol.ts";

// Stores a dispatch; a rejection makes the link resume from the last stored one.
export type DispatchHandler = (
  t: string,
  d: unknown,
  at: Received,
  botUserId: string,
) => Promise<void>;

type State = "identifying" | "resuming" | "connected" | "backing off";

type Session = { id: string; resumeUrl: string; botUserId: string };

// What a link keeps across a daemon's restart so that it RESUMEs rather than IDENTIFYs:
// Discord then redelivers what was dispatched while no daemon listened. Not secret: a
// RESUME also needs the bot token.
export type SavedSession = Session & { seq: number | null };

// Keeps the session (undefined: it is gone) after READY and after each stored dispatch.
export type SessionSaver = (saved: SavedSession | undefined) => Promise<void>;

const HELLO_WAIT_MS = 30_000;

// How a socket ended: its close code, and whether it got as far as READY or RESUMED.
type Ended = { code: number; reason: string; healthy: boolean };

export class GatewayLink extends ReconnectingLink<State> {
  // Set when a close code or the API says retrying cannot help.
  private failure?: string;
  private session?: Session;
  // The sequence number of the last dispatch handled: what heartbeats and RESUME send.
  private seq: number | null = null;
  private ws?: WebSocket;
  private saving = Promise.resolve();

  constructor(
    connectionId: string,
    private readonly token: string,
    private readonly intents: number,
    private readonly onDispatch: DispatchHandler,
    saved?: SavedSession,
    private readonly save: SessionSaver = async () => {},
  ) {
    super("discord gateway", connectionId, "backing off", backoff);
    if (saved?.id) {
      const { seq, ...session } = saved;
      this.session = session;
      this.seq = seq;
    }
    this.start();
  }

  describe(): string {
    if (this.failure) return `gateway: ${this.failure}`;
    if (this.state === "backing off") {
      return `gateway: backing off (attempt ${this.attempts + 1})`;
    }
    return `gateway: ${this.state}`;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  // `end`: 1000 ends the session at Discord (the bot goes offline at once); otherwise the
  // session stays resumable, for the daemon that takes the link over.
  async close(end = true): Promise<void> {
    await this.stop(() => {
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.close(end ? 1000 : CLOSE_TO_RESUME);
      else this.ws?.terminate();
    });
    await this.saving;
  }

  protected async attempt(): Promise<typeof STOP | void> {
    const url = this.session?.resumeUrl ?? await this.fetchGatewayUrl();
    if (this.closed) return;
    const ended = await this.run(gatewayUrl(url));
    if (ended.healthy) this.attempts = 0;
    if (FATAL_CLOSE[ended.code]) {
      this.fail(`${FATAL_CLOSE[ended.code]} (close code ${ended.code})`);
      return STOP;
    }
    if (SESSION_GONE.has(ended.code)) this.forgetSession();
    if (!this.closed) {
      log.warn("discord gateway: closed", {
        connection: this.connectionId,
        code: ended.code,
        reason: ended.reason,
      });
    }
  }

  protected override fatal(err: unknown): boolean {
    if (!(err instanceof DiscordApiError && err.unauthorized)) return false;
    this.fail("auth failed (GET /gateway/bot: HTTP 401)");
    return true;
  }

  private fail(why: string): void {
    this.failure = why;
    log.error("discord gateway: stopped, fix the connection and deploy again", {
      connection: this.connectionId,
      why,
    });
  }

  private forgetSession(): void {
    this.session = undefined;
    this.seq = null;
    this.keep();
  }

  // Saves where the session stands; a failed save only costs a fresh IDENTIFY later.
  // Saves run one after another, so the last one written is the newest.
  private keep(): Promise<void> {
    const saved = this.session && { ...this.session, seq: this.seq };
    this.saving = this.saving.then(() => this.save(saved)).catch((err) => {
      log.warn("discord gateway: session not saved", {
        connection: this.connectionId,
        error: (err as Error).message,
      });
    });
    return this.saving;
  }

  // GET /gateway/bot; waits out an exhausted identify budget.
  private async fetchGatewayUrl(): Promise<string> {
    const res = await callDiscord("gateway/bot", this.token, this.stopping.signal);
    if (typeof res.url !== "string") throw new Error("GET /gateway/bot: no url");
    const limit = res.session_start_limit as { remaining?: number; reset_after?: number };
    if (limit?.remaining === 0 && typeof limit.reset_after === "number") {
      log.warn("discord gateway: identify limit reached, waiting", {
        connection: this.connectionId,
        ms: limit.reset_after,
      });
      await this.sleep(limit.reset_after);
    }
    return res.url;
  }

  private send(ws: WebSocket, frame: Frame): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  private identify(ws: WebSocket): void {
    this.state = "identifying";
    this.send(ws, {
      op: Op.identify,
      d: {
        token: this.token,
        intents: this.intents,
        properties: { os: process.platform, browser: "pounce", device: "pounce" },
      },
    });
  }

  private resume(ws: WebSocket, session: Session): void {
    this.state = "resuming";
    this.send(ws, {
      op: Op.resume,
      d: { token: this.token, session_id: session.id, seq: this.seq },
    });
  }

  // One socket, from HELLO to its close.
  private run(url: string): Promise<Ended> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url);
      this.ws = ws;
      let healthy = false;
      let acked = true;
      let heartbeat: ReturnType<typeof setTimeout> | undefined;
      let retry: ReturnType<typeof setTimeout> | undefined;
      // Dispatches are handled one after another, in the order Discord numbered them.
      let queue = Promise.resolve();
      // A dispatch failed to store: the ones after it wait for the resume too.
      let broken = false;
      // A gateway that never says HELLO is given up on.
      const hello = setTimeout(() => ws.terminate(), HELLO_WAIT_MS);

      const beat = () => this.send(ws, { op: Op.heartbeat, d: this.seq });
      const startHeartbeat = (interval: number) => {
        const tick = () => {
          // No ACK since the last beat: the link is a zombie. Drop it and resume.
          if (!acked) {
            log.warn("discord gateway: heartbeat not acknowledged", {
              connection: this.connectionId,
            });
            return ws.terminate();
          }
          acked = false;
          beat();
          heartbeat = setTimeout(tick, interval);
        };
        heartbeat = setTimeout(tick, Math.round(interval * Math.random()));
      };

      const handle = (frame: Frame) => {
        switch (frame.op) {
          case Op.hello: {
            clearTimeout(hello);
            const interval = Number(
              (frame.d as { heartbeat_interval?: number })?.heartbeat_interval,
            );
            startHeartbeat(interval > 0 ? interval : 41_250);
            if (this.session) this.resume(ws, this.session);
            else this.identify(ws);
            return;
          }
          case Op.heartbeatAck:
            acked = true;
            return;
          case Op.heartbeat:
            return beat();
          case Op.reconnect:
            return ws.close(CLOSE_TO_RESUME);
          case Op.invalidSession: {
            const resumable = frame.d === true && this.session;
            if (!resumable) this.forgetSession();
            // Discord asks for a pause of 1 to 5 seconds before trying again.
            retry = setTimeout(() => {
              if (this.closed) return;
              if (this.session) this.resume(ws, this.session);
              else this.identify(ws);
            }, 1000 + Math.random() * 4000);
            return;
          }
          case Op.dispatch:
            return dispatch(frame);
        }
      };

      const dispatch = (frame: Frame) => {
        const s = typeof frame.s === "number" ? frame.s : null;
        if (frame.t === "READY") {
          const d = frame.d as {
            session_id?: string;
            resume_gateway_url?: string;
            user?: { id?: string };
          };
          this.session = {
            id: String(d?.session_id ?? ""),
            resumeUrl: String(d?.resume_gateway_url || url),
            botUserId: String(d?.user?.id ?? ""),
          };
          this.seq = s;
          const session = this.session;
          queue = queue.then(() => this.session === session ? this.keep() : undefined);
          this.connected(frame.t);
          healthy = true;
          return;
        }
        if (frame.t === "RESUMED") {
          this.connected(frame.t);
          healthy = true;
          return;
        }
        const session = this.session;
        if (!session || s === null || !frame.t) return;
        const t = frame.t;
        queue = queue.then(async () => {
          if (broken) return;
          try {
            await this.onDispatch(t, frame.d, { sessionId: session.id, seq: s }, session.botUserId);
            if (this.session === session) {
              this.seq = s;
              await this.keep();
            }
          } catch (err) {
            // Not stored: resume from the last stored one, so Discord sends it again.
            broken = true;
            log.error("discord gateway: event not stored, resuming", {
              connection: this.connectionId,
              event: t,
              error: (err as Error).message,
            });
            ws.close(CLOSE_TO_RESUME);
          }
        });
      };

      ws.on("message", (raw) => {
        let frame: Frame;
        try {
          frame = JSON.parse(String(raw));
        } catch {
          log.warn("discord gateway: not JSON", { connection: this.connectionId });
          return;
        }
        handle(frame);
      });
      ws.on("error", (err) => {
        log.debug("discord gateway: socket error", {
          connection: this.connectionId,
          error: err.message,
        });
      });
      ws.on("close", (code, reason) => {
        clearTimeout(heartbeat);
        clearTimeout(hello);
        clearTimeout(retry);
        // What was received before the close is stored before the link moves on.
        queue.finally(() => resolve({ code, reason: String(reason), healthy }));
      });
    });
  }

  private connected(how: string): void {
    this.state = "connected";
    log.info("discord gateway: connected", { connection: this.connectionId, via: how });
  }
}
