// One gateway link per Discord connection with a bot token, kept in line with the
// database on every reload. Each dispatch is stored once: a RESUME that redelivers what
// was already stored starts nothing new (the replay guard, keyed on the event's identity).
import { connectionsOf } from "../../core/projects/connections.ts";
import { log } from "../../core/util/log.ts";
import { deliver, type Destination } from "../deliver.ts";
import { ReplayGuard, replayKey } from "../replay-guard.ts";
import type { IntegrationContext, Service } from "../types.ts";
import { fromDispatch, type Received } from "./events.ts";
import { GatewayLink } from "./gateway.ts";
import { INTENTS_ALL } from "./protocol.ts";

// How long an event's identity is remembered: far longer than Discord keeps a session
// resumable.
const KEEP_MS = 24 * 3600_000;

// The intents a connection identifies with: its `intents` var, else AutoKitteh's.
export function intentsOf(vars: Record<string, string>): number | string {
  const raw = vars.intents?.trim();
  if (!raw) return INTENTS_ALL;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0
    ? n
    : `var "intents" is not a non-negative integer: "${raw.slice(0, 40)}"`;
}

type Entry = { config: string; link?: GatewayLink; problem?: string };

export class Gateways implements Service {
  private readonly entries = new Map<string, Entry>();
  private readonly guard: ReplayGuard;

  constructor(private readonly ctx: IntegrationContext) {
    this.guard = new ReplayGuard(ctx.db);
  }

  async reload(): Promise<void> {
    const conns = (await connectionsOf(this.ctx.db, this.ctx.box, "discord"))
      .filter((c) => c.vars.BotToken);
    const wanted = new Map(conns.map((c) => [c.id, c]));
    const configOf = (vars: Record<string, string>) => `${vars.BotToken}\n${intentsOf(vars)}`;
    for (const [id, entry] of this.entries) {
      const conn = wanted.get(id);
      // A link stopped for good (a bad token) gets one more try per reload.
      if (conn && configOf(conn.vars) === entry.config && !entry.link?.failed) continue;
      this.entries.delete(id);
      await entry.link?.close();
    }
    for (const c of conns) {
      if (this.entries.has(c.id)) continue;
      const intents = intentsOf(c.vars);
      const config = configOf(c.vars);
      if (typeof intents === "string") {
        log.error("discord: connection not started", { connection: c.id, error: intents });
        this.entries.set(c.id, { config, problem: intents });
        continue;
      }
      const link = new GatewayLink(
        c.id,
        c.vars.BotToken,
        intents,
        (t, d, at, bot) => this.handle(c, t, d, at, bot),
      );
      this.entries.set(c.id, { config, link });
    }
  }

  status(connectionId: string): string | undefined {
    const entry = this.entries.get(connectionId);
    return entry?.link?.describe() ?? (entry?.problem && `gateway: not started: ${entry.problem}`);
  }

  async close(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((e) => e.link?.close()));
  }

  private async handle(
    conn: Destination,
    t: string,
    d: unknown,
    at: Received,
    botUserId: string,
  ): Promise<void> {
    const event = fromDispatch(t, d, at, botUserId);
    if (!event) return;
    const taken = await this.guard.once(
      [replayKey("discord", `${conn.id}:${event.identity}`)],
      KEEP_MS,
      () => deliver(this.ctx, [conn], event.eventType, event.data),
    );
    if (taken.replay) {
      log.debug("discord gateway: redelivered event already stored", {
        connection: conn.id,
        event: event.eventType,
      });
    }
  }
}
