// One gateway link per Discord connection with a bot token, kept in line with the
// database on every reload. Among daemons sharing the database only the holder of the
// connection's source lease keeps the link; the session (id, resume URL, last sequence)
// is saved in the database, so a restarted daemon, or the one taking over from a dead
// holder, RESUMEs and Discord redelivers what was missed. Each dispatch is stored once: a
// RESUME that redelivers what was already stored starts nothing new (the replay guard,
// keyed on the event's identity).
import { randomBytes } from "node:crypto";
import { connectionsOf } from "../../core/projects/connections.ts";
import { deleteSourceState, readSourceState, writeSourceState } from "../../core/sources/states.ts";
import { log } from "../../core/util/log.ts";
import { deliver, type Destination } from "../deliver.ts";
import { ReplayGuard, replayKey } from "../replay-guard.ts";
import { SOURCE_LEASE_MS, SourceLease } from "../source-lease.ts";
import type { IntegrationContext, Service } from "../types.ts";
import { fromDispatch, type Received } from "./events.ts";
import { GatewayLink, type SavedSession } from "./gateway.ts";
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

const KIND = "discord.gateway";

type Entry = {
  config: string;
  conn: Destination & { vars: Record<string, string> };
  intents: number;
  link?: GatewayLink;
  problem?: string;
  // Set while another daemon holds the lease, or the lease could not be checked.
  waiting?: string;
  timer?: ReturnType<typeof setTimeout>;
  // The lease check in flight: a drop waits for it.
  turn?: Promise<void>;
};

export class Gateways implements Service {
  private readonly entries = new Map<string, Entry>();
  private readonly guard: ReplayGuard;
  private readonly lease: SourceLease;
  private closed = false;

  constructor(private readonly ctx: IntegrationContext, leaseTtlMs = SOURCE_LEASE_MS) {
    this.guard = new ReplayGuard(ctx.db);
    this.lease = new SourceLease(
      ctx.db,
      ctx.nodeId ?? `pid-${process.pid}-${randomBytes(4).toString("hex")}`,
      leaseTtlMs,
    );
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
      await this.drop(id, entry, true);
    }
    for (const c of conns) {
      if (this.entries.has(c.id)) continue;
      const intents = intentsOf(c.vars);
      const config = configOf(c.vars);
      if (typeof intents === "string") {
        log.error("discord: connection not started", { connection: c.id, error: intents });
        this.entries.set(c.id, { config, conn: c, intents: 0, problem: intents });
        continue;
      }
      const entry: Entry = { config, conn: c, intents };
      this.entries.set(c.id, entry);
      await this.keep(c.id, entry);
    }
  }

  status(connectionId: string): string | undefined {
    const entry = this.entries.get(connectionId);
    if (!entry) return undefined;
    if (entry.problem) return `gateway: not started: ${entry.problem}`;
    return entry.link?.describe() ?? (entry.waiting && `gateway: ${entry.waiting}`);
  }

  // The session stays resumable at Discord and saved: the daemon that next holds the
  // lease (this one restarted, or another) resumes it.
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.entries];
    this.entries.clear();
    await Promise.all(entries.map(([id, e]) => this.drop(id, e, false)));
  }

  // Holds (or renews) the connection's lease and opens the link if this daemon has none;
  // closes it, resumable, once another daemon holds the lease. Checks again at half the
  // lease's life.
  private keep(id: string, entry: Entry): Promise<void> {
    entry.turn = (async () => {
      if (this.closed || this.entries.get(id) !== entry) return;
      try {
        if (await this.lease.hold(`${KIND}:${id}`)) {
          entry.waiting = undefined;
          if (!entry.link && this.entries.get(id) === entry) entry.link = await this.open(entry);
        } else {
          entry.waiting = "kept by another daemon";
          const link = entry.link;
          entry.link = undefined;
          await link?.close(false);
        }
      } catch (err) {
        // The link (if any) goes on; the next check tries again.
        entry.waiting = `lease not checked: ${(err as Error).message}`;
        log.warn("discord gateway: lease not checked", {
          connection: id,
          error: (err as Error).message,
        });
      }
      if (!this.closed && this.entries.get(id) === entry) {
        entry.timer = setTimeout(() => this.keep(id, entry), this.lease.ttlMs / 2);
      }
    })();
    return entry.turn;
  }

  private async open(entry: Entry): Promise<GatewayLink> {
    const c = entry.conn;
    const text = await readSourceState(this.ctx.db, c.id, KIND);
    const saved = text ? JSON.parse(text) as SavedSession : undefined;
    return new GatewayLink(
      c.id,
      c.vars.BotToken,
      entry.intents,
      (t, d, at, bot) => this.handle(c, t, d, at, bot),
      saved,
      (s) =>
        s
          ? writeSourceState(this.ctx.db, c.id, KIND, JSON.stringify(s))
          : deleteSourceState(this.ctx.db, c.id, KIND),
    );
  }

  // `end`: the connection is gone or changed, so its Discord session and saved state go
  // too; otherwise both stay for the next holder.
  private async drop(id: string, entry: Entry, end: boolean): Promise<void> {
    clearTimeout(entry.timer);
    await entry.turn;
    clearTimeout(entry.timer);
    await entry.link?.close(end);
    const done = [this.lease.release(`${KIND}:${id}`)];
    if (end) done.push(deleteSourceState(this.ctx.db, id, KIND));
    await Promise.all(done).catch((err) =>
      log.warn("discord gateway: lease or session not cleared", {
        connection: id,
        error: (err as Error).message,
      })
    );
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
