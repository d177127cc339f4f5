// Google watch channels, one per connection with an OAuth token and something to watch:
// opened (with a random channel token) when the connection gets credentials, renewed
// before Google lets them expire, stopped when the connection goes. Their state lives in
// the database (source_states), so a restarted daemon reuses its channels; a lease makes
// one daemon among those sharing the database open and renew them. Notifications carry
// headers only: the changes they announce are listed from the connection's cursor.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  connectionById,
  connectionsOf,
  type ConnectionWithVars,
  withVars,
} from "../../core/projects/connections.ts";
import { deleteSourceState, readSourceState, writeSourceState } from "../../core/sources/states.ts";
import { now } from "../../core/util/clock.ts";
import { log } from "../../core/util/log.ts";
import { SerialQueue } from "../../core/util/serial.ts";
import { deliver } from "../deliver.ts";
import { tokensOf } from "../oauth/tokens.ts";
import { ReplayGuard, replayKey } from "../replay-guard.ts";
import { SourceLease } from "../source-lease.ts";
import type { IntegrationContext, Service } from "../types.ts";
import { callGoogle } from "./api.ts";
import type { WatchedResource } from "./resource.ts";

// A channel's state as stored (its token sealed).
type Channel = {
  channelId: string;
  resourceId: string;
  token: string;
  expiresAt: number;
  createdAt: number;
  target: string;
  address: string;
};
type Stored = Channel & { previous?: Channel };

// A channel is renewed this long before it expires (half its life if that is shorter).
const RENEW_LEAD_MS = 60 * 60_000;
const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 5 * 60_000;
// How long a change's identity is remembered (a second daemon listing the same changes).
const CHANGE_KEEP_MS = 7 * 24 * 3600_000;
// Kept past a channel's expiry: its message numbers cannot be replayed meanwhile.
const MESSAGE_KEEP_MS = 3600_000;
const MAX_DELAY_MS = 2 ** 31 - 1;

export type Notification = {
  channelId: string;
  token: string;
  resourceState: string;
  messageNumber: string;
};

export type Outcome = { status: 200 | 403 | 404 | 409 | 502; error?: string };

type Entry = { timer?: ReturnType<typeof setTimeout>; status: string; failures: number };

function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

function renewAt(c: Channel): number {
  return c.expiresAt - Math.min(RENEW_LEAD_MS, (c.expiresAt - c.createdAt) / 2);
}

const iso = (ms: number) => new Date(ms).toISOString();

export class Watches implements Service {
  private readonly entries = new Map<string, Entry>();
  private readonly queues = new Map<string, SerialQueue>();
  // The last access token of each connection: a channel of a deleted connection is still
  // stopped with it.
  private readonly lastTokens = new Map<string, string>();
  private readonly guard: ReplayGuard;
  private readonly lease: SourceLease;
  private closed = false;

  constructor(private readonly ctx: IntegrationContext, private readonly res: WatchedResource) {
    this.guard = new ReplayGuard(ctx.db);
    this.lease = new SourceLease(
      ctx.db,
      ctx.nodeId ?? `pid-${process.pid}-${randomBytes(4).toString("hex")}`,
    );
  }

  private get kind(): string {
    return `${this.res.integration}.watch`;
  }

  private get cursorKind(): string {
    return `${this.res.integration}.cursor`;
  }

  private leaseName(connectionId: string): string {
    return `${this.kind}:${connectionId}`;
  }

  address(): string {
    const host = process.env.WEBHOOK_ADDRESS;
    return (host ? `https://${host}` : this.ctx.serviceUrl()) + this.res.path;
  }

  async reload(): Promise<void> {
    if (this.closed) return;
    const conns = await connectionsOf(this.ctx.db, this.ctx.box, this.res.integration);
    const ids = new Set(conns.map((c) => c.id));
    for (const id of [...this.entries.keys()]) {
      if (ids.has(id)) continue;
      this.drop(id);
      await this.queue(id).run(() => this.stopFor(id, this.lastTokens.get(id)));
      this.lastTokens.delete(id);
    }
    for (const c of conns) {
      if (!this.entries.has(c.id)) this.entries.set(c.id, { status: "", failures: 0 });
      this.arm(c.id, 0);
    }
  }

  status(connectionId: string): string | undefined {
    return this.entries.get(connectionId)?.status || undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.entries.keys()]) this.drop(id);
    await Promise.all([...this.queues.values()].map((q) => q.idle()));
    await Promise.all(
      [...this.lastTokens.keys()].map((id) =>
        this.lease.release(this.leaseName(id)).catch(() => {})
      ),
    );
  }

  // A notification Google posted: verified against the connection's channel, refused
  // if replayed, and the changes it announces listed and delivered.
  async notified(n: Notification): Promise<Outcome> {
    const connectionId = n.channelId.split("/")[0];
    const stored = connectionId.startsWith("con_") ? await this.load(connectionId) : undefined;
    const channel = [stored, stored?.previous].find((c) =>
      c?.channelId === n.channelId && c.expiresAt > now()
    );
    if (!channel) return { status: 404, error: "unknown channel" };
    if (!sameSecret(this.ctx.box.open(channel.token), n.token)) {
      return { status: 403, error: "bad channel token" };
    }
    const conn = await connectionById(this.ctx.db, connectionId);
    if (!conn || conn.integration !== this.res.integration) {
      return { status: 404, error: "unknown channel" };
    }
    try {
      const taken = await this.guard.once(
        [replayKey(this.res.integration, `${n.channelId}:${n.messageNumber}`)],
        channel.expiresAt - now() + MESSAGE_KEEP_MS,
        async () => {
          // "sync": the channel is open; nothing changed.
          if (n.resourceState !== "sync") await this.queue(conn.id).run(() => this.fetch(conn.id));
        },
      );
      if (taken.replay) return { status: 409, error: "replayed notification: already received" };
    } catch (err) {
      log.warn(`${this.res.integration}: changes not listed`, {
        connection: conn.id,
        error: (err as Error).message,
      });
      return { status: 502, error: "changes could not be listed; retry" };
    }
    return { status: 200 };
  }

  private queue(id: string): SerialQueue {
    let q = this.queues.get(id);
    if (!q) this.queues.set(id, q = new SerialQueue());
    return q;
  }

  private drop(id: string): void {
    const e = this.entries.get(id);
    if (e?.timer) clearTimeout(e.timer);
    this.entries.delete(id);
  }

  private arm(id: string, delay: number): void {
    const e = this.entries.get(id);
    if (!e || this.closed) return;
    if (e.timer) clearTimeout(e.timer);
    e.timer = setTimeout(() => {
      e.timer = undefined;
      this.queue(id).run(() => this.upkeep(id)).catch(() => {}); // recorded in its status
    }, Math.max(0, Math.min(delay, MAX_DELAY_MS)));
  }

  private async load(connectionId: string): Promise<Stored | undefined> {
    const text = await readSourceState(this.ctx.db, connectionId, this.kind);
    return text ? JSON.parse(text) as Stored : undefined;
  }

  private async connection(id: string): Promise<ConnectionWithVars | undefined> {
    const row = await connectionById(this.ctx.db, id);
    return row && (await withVars(this.ctx.db, this.ctx.box, [row]))[0];
  }

  // Opens, renews or stops the connection's channel as its config says, if this daemon
  // holds its lease; then plans the next look.
  private async upkeep(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry || this.closed) return;
    try {
      const conn = await this.connection(id);
      if (!conn) return;
      const token = tokensOf(conn.vars)?.accessToken;
      if (token) this.lastTokens.set(id, token);
      const what = this.res.target(conn.vars);
      const problem = !token
        ? "no OAuth token: run `pounce connection init`"
        : "problem" in what
        ? what.problem
        : undefined;
      if (!(await this.lease.hold(this.leaseName(id)))) {
        entry.status = "watch: kept by another daemon";
        this.arm(id, this.lease.ttlMs / 2);
        return;
      }
      if (problem || !token || "problem" in what) {
        await this.stopFor(id, token);
        entry.status = `watch: none: ${problem}`;
        this.arm(id, this.lease.ttlMs / 2);
        return;
      }
      let stored = await this.load(id);
      if (!stored || stored.target !== what.target || now() >= renewAt(stored)) {
        stored = await this.open(id, token, what.target, stored);
      }
      entry.failures = 0;
      entry.status = `watch: channel ${stored.channelId} on ${what.target}, expires ${
        iso(stored.expiresAt)
      }, renews ${iso(renewAt(stored))}`;
      this.arm(id, Math.min(renewAt(stored) - now(), this.lease.ttlMs / 2));
    } catch (err) {
      entry.failures++;
      const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (entry.failures - 1));
      entry.status = `watch: failed: ${(err as Error).message} (retry at ${iso(now() + delay)})`;
      log.warn(`${this.res.integration}: watch not kept`, {
        connection: id,
        error: (err as Error).message,
      });
      this.arm(id, delay);
    }
  }

  // A new channel (the old one, if any, stopped once the new one is open).
  private async open(
    id: string,
    token: string,
    target: string,
    old: Stored | undefined,
  ): Promise<Stored> {
    let cursor = old?.target === target ? await this.cursor(id) : undefined;
    if (!cursor) {
      cursor = await this.res.begin(token, target);
      await this.saveCursor(id, cursor);
    }
    const secret = randomBytes(32).toString("base64url");
    const t = now();
    const channelId = `${id}/${randomBytes(12).toString("base64url")}`;
    const address = this.address();
    const opened = await this.res.watch(token, target, cursor, {
      id: channelId,
      token: secret,
      type: "web_hook",
      address,
      expiration: String(t + this.res.lifetimeMs),
    });
    const granted = Number(opened.expiration);
    const channel: Channel = {
      channelId,
      resourceId: opened.resourceId,
      token: this.ctx.box.seal(secret),
      expiresAt: Number.isFinite(granted) && granted > 0 ? granted : t + this.res.lifetimeMs,
      createdAt: t,
      target,
      address,
    };
    const previous = old && old.expiresAt > t ? stripPrevious(old) : undefined;
    const stored: Stored = previous ? { ...channel, previous } : channel;
    await writeSourceState(this.ctx.db, id, this.kind, JSON.stringify(stored));
    log.info(`${this.res.integration}: watch channel opened`, {
      connection: id,
      channel: channelId,
      expires: iso(channel.expiresAt),
    });
    if (previous) await this.stopChannel(token, previous);
    return stored;
  }

  // Stops the connection's channels, if any, and forgets them.
  private async stopFor(id: string, token: string | undefined): Promise<void> {
    const stored = await this.load(id);
    if (!stored) return;
    if (token) {
      for (const c of [stored, stored.previous]) if (c) await this.stopChannel(token, c);
    }
    await deleteSourceState(this.ctx.db, id, this.kind);
    await deleteSourceState(this.ctx.db, id, this.cursorKind);
    log.info(`${this.res.integration}: watch channel stopped`, { connection: id });
  }

  private async stopChannel(token: string, c: Channel): Promise<void> {
    if (c.expiresAt <= now()) return;
    await callGoogle(token, "POST", this.res.stopPath, {}, {
      id: c.channelId,
      resourceId: c.resourceId,
    }).catch((err) =>
      log.warn(`${this.res.integration}: channel not stopped (it expires by itself)`, {
        channel: c.channelId,
        error: (err as Error).message,
      })
    );
  }

  private async cursor(id: string): Promise<string | undefined> {
    const text = await readSourceState(this.ctx.db, id, this.cursorKind);
    return text ? (JSON.parse(text) as { cursor: string }).cursor : undefined;
  }

  private saveCursor(id: string, cursor: string): Promise<void> {
    return writeSourceState(this.ctx.db, id, this.cursorKind, JSON.stringify({ cursor }));
  }

  // Lists the changes since the connection's cursor and delivers each once (a second
  // daemon listing the same changes delivers none of them again), then moves the cursor.
  private async fetch(id: string): Promise<void> {
    const conn = await this.connection(id);
    const token = conn && tokensOf(conn.vars)?.accessToken;
    const what = conn && this.res.target(conn.vars);
    if (!conn || !token || !what || "problem" in what) return;
    const cursor = await this.cursor(id) ?? await this.res.begin(token, what.target);
    const listed = await this.res.changes(token, what.target, cursor);
    if (!listed) {
      log.warn(`${this.res.integration}: cursor no longer valid; listing anew from now`, {
        connection: id,
      });
      await this.saveCursor(id, await this.res.begin(token, what.target));
      return;
    }
    for (const change of listed.changes) {
      await this.guard.once(
        [replayKey(`${this.res.integration}.change`, `${id}:${change.identity}`)],
        CHANGE_KEEP_MS,
        () => deliver(this.ctx, [conn], change.eventType, change.data),
      );
    }
    await this.saveCursor(id, listed.cursor);
  }
}

function stripPrevious(s: Stored): Channel {
  const { previous: _, ...c } = s;
  return c;
}
