// Google watch channels, one per connection with an OAuth token and something to watch:
// opened (with a random channel token) when the connection gets credentials, renewed
// before Google lets them expire, stopped when the connection goes. Their state lives in
// the database (source_states), so a restarted daemon reuses its channels; a lease makes
// one daemon among those sharing the database open and renew them (leased-watches.ts).
// Notifications carry headers only: the changes they announce are listed from the
// connection's cursor.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { connectionById, type ConnectionWithVars } from "../../core/projects/connections.ts";
import { now } from "../../core/util/clock.ts";
import { log } from "../../core/util/log.ts";
import { tokensOf } from "../oauth/tokens.ts";
import { replayKey } from "../replay-guard.ts";
import type { IntegrationContext } from "../types.ts";
import { callGoogle } from "./api.ts";
import { iso, LeasedWatches, NO_TOKEN, type WatchPlan } from "./leased-watches.ts";
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
// Kept past a channel's expiry: its message numbers cannot be replayed meanwhile.
const MESSAGE_KEEP_MS = 3600_000;

export type Notification = {
  channelId: string;
  token: string;
  resourceState: string;
  messageNumber: string;
};

export type Outcome = { status: 200 | 403 | 404 | 409 | 502; error?: string };

function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

function renewAt(c: Channel): number {
  return c.expiresAt - Math.min(RENEW_LEAD_MS, (c.expiresAt - c.createdAt) / 2);
}

export class Watches extends LeasedWatches<Stored> {
  // The last access token of each connection: a channel of a deleted connection is still
  // stopped with it.
  private readonly lastTokens = new Map<string, string>();

  constructor(ctx: IntegrationContext, private readonly res: WatchedResource) {
    super(ctx, res.integration, res.path);
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

  protected async removed(id: string): Promise<void> {
    await this.stopFor(id, this.lastTokens.get(id));
    this.lastTokens.delete(id);
  }

  // Opens, renews or stops the connection's channel as its config says.
  protected plan(id: string, conn: ConnectionWithVars): WatchPlan {
    const token = tokensOf(conn.vars)?.accessToken;
    if (token) this.lastTokens.set(id, token);
    const what = this.res.target(conn.vars);
    const withdraw = () => this.stopFor(id, token);
    if (!token) return { problem: NO_TOKEN, withdraw };
    if ("problem" in what) return { problem: what.problem, withdraw };
    return {
      keep: async () => {
        let stored = await this.load(id);
        if (!stored || stored.target !== what.target || now() >= renewAt(stored)) {
          stored = await this.open(id, token, what.target, stored);
        }
        return {
          status: `channel ${stored.channelId} on ${what.target}, expires ${
            iso(stored.expiresAt)
          }, renews ${iso(renewAt(stored))}`,
          renewAt: renewAt(stored),
        };
      },
    };
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
    await this.save(id, stored);
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
    await this.forget(id);
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

  // Lists the changes since the connection's cursor and delivers each once, then moves
  // the cursor.
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
    await this.deliverOnce(id, conn, listed.changes);
    await this.saveCursor(id, listed.cursor);
  }
}

function stripPrevious(s: Stored): Channel {
  const { previous: _, ...c } = s;
  return c;
}
