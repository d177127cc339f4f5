// Google sources that publish to Cloud Pub/Sub (Forms, Gmail): one watch per connection
// with an OAuth token and something to watch, made against the topic AutoKitteh's env
// names, renewed before it expires, its state and cursor kept in the database
// (source_states) and kept by one daemon among those sharing it (a lease). A push names
// what changed; the changes are listed from the connection's cursor and each delivered
// once. A push is taken once per Pub/Sub message id (Pub/Sub redelivers until acked).
import { randomBytes } from "node:crypto";
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
import type { PushMessage } from "./pubsub.ts";
import type { Change } from "./resource.ts";

export interface PubSubResource<W> {
  readonly integration: string;
  // Where the push subscription posts (AutoKitteh's path).
  readonly path: string;
  // The env var naming the Pub/Sub topic (AutoKitteh's).
  readonly topicEnv: string;
  target(vars: Record<string, string>): { target: string } | { problem: string };
  // Makes the watch, or renews `old` (a watch on the same target).
  watch(token: string, target: string, topic: string, old: W | undefined): Promise<W>;
  renewAt(w: W): number;
  describe(w: W): string;
  // A cursor from now on.
  begin(token: string, target: string, w: W): Promise<string>;
  // Whether the push is about this connection's watch.
  matches(w: W, msg: PushMessage): boolean;
  // The changes the push announces since `cursor`, and the cursor after them.
  changes(
    token: string,
    target: string,
    cursor: string,
    msg: PushMessage,
  ): Promise<{ changes: Change[]; cursor: string }>;
}

type Stored<W> = { target: string; topic: string; watch: W };
type Entry = { timer?: ReturnType<typeof setTimeout>; status: string; failures: number };

const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 5 * 60_000;
const KEEP_MS = 7 * 24 * 3600_000;
const MAX_DELAY_MS = 2 ** 31 - 1;
const iso = (ms: number) => new Date(ms).toISOString();

export type PushOutcome = { status: 200 | 409 | 502; error?: string };

export class PubSubWatches<W> implements Service {
  private readonly entries = new Map<string, Entry>();
  private readonly queues = new Map<string, SerialQueue>();
  private readonly guard: ReplayGuard;
  private readonly lease: SourceLease;
  private closed = false;

  constructor(
    private readonly ctx: IntegrationContext,
    private readonly res: PubSubResource<W>,
  ) {
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

  // The push endpoint, the token's default audience.
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
      // Google's watches expire by themselves (Forms and Gmail have no stop for them
      // that AutoKitteh uses); their pushes then match no connection.
      await this.queue(id).run(() => this.forget(id));
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
    const ids = [...this.entries.keys()];
    for (const id of ids) this.drop(id);
    await Promise.all([...this.queues.values()].map((q) => q.idle()));
    await Promise.all(ids.map((id) => this.lease.release(this.leaseName(id)).catch(() => {})));
  }

  // A verified push: taken once per message id; the changes of every connection whose
  // watch it names are listed and delivered. A push naming none is acknowledged.
  async pushed(msg: PushMessage): Promise<PushOutcome> {
    try {
      const taken = await this.guard.once(
        [replayKey(`${this.res.integration}.push`, msg.messageId)],
        KEEP_MS,
        async () => {
          const conns = await connectionsOf(this.ctx.db, this.ctx.box, this.res.integration);
          for (const c of conns) {
            const stored = await this.load(c.id);
            if (!stored || !this.res.matches(stored.watch, msg)) continue;
            await this.queue(c.id).run(() => this.fetch(c.id, msg));
          }
        },
      );
      if (taken.replay) return { status: 409, error: "replayed push: already received" };
    } catch (err) {
      log.warn(`${this.res.integration}: changes not listed`, {
        message: msg.messageId,
        error: (err as Error).message,
      });
      return { status: 502, error: "changes could not be listed; retry" };
    }
    return { status: 200 };
  }

  private leaseName(id: string): string {
    return `${this.kind}:${id}`;
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

  private async load(id: string): Promise<Stored<W> | undefined> {
    const text = await readSourceState(this.ctx.db, id, this.kind);
    return text ? JSON.parse(text) as Stored<W> : undefined;
  }

  private async connection(id: string): Promise<ConnectionWithVars | undefined> {
    const row = await connectionById(this.ctx.db, id);
    return row && (await withVars(this.ctx.db, this.ctx.box, [row]))[0];
  }

  private async forget(id: string): Promise<void> {
    await deleteSourceState(this.ctx.db, id, this.kind);
    await deleteSourceState(this.ctx.db, id, this.cursorKind);
  }

  // Makes or renews the connection's watch if this daemon holds its lease; then plans
  // the next look.
  private async upkeep(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry || this.closed) return;
    try {
      const conn = await this.connection(id);
      if (!conn) return;
      const token = tokensOf(conn.vars)?.accessToken;
      const what = this.res.target(conn.vars);
      const topic = process.env[this.res.topicEnv]?.trim();
      if (!(await this.lease.hold(this.leaseName(id)))) {
        entry.status = "watch: kept by another daemon";
        this.arm(id, this.lease.ttlMs / 2);
        return;
      }
      const problem = !token
        ? "no OAuth token: run `pounce connection init`"
        : "problem" in what
        ? what.problem
        : !topic
        ? `no ${this.res.topicEnv} in the daemon's env: no Pub/Sub topic to watch with`
        : undefined;
      if (problem || !token || !topic || "problem" in what) {
        await this.forget(id);
        entry.status = `watch: none: ${problem}`;
        this.arm(id, this.lease.ttlMs / 2);
        return;
      }
      let stored = await this.load(id);
      const same = stored?.target === what.target && stored.topic === topic;
      if (!stored || !same || now() >= this.res.renewAt(stored.watch)) {
        const watch = await this.res.watch(
          token,
          what.target,
          topic,
          same ? stored?.watch : undefined,
        );
        stored = { target: what.target, topic, watch };
        if (!same || !(await readSourceState(this.ctx.db, id, this.cursorKind))) {
          await this.saveCursor(id, await this.res.begin(token, what.target, watch));
        }
        await writeSourceState(this.ctx.db, id, this.kind, JSON.stringify(stored));
        log.info(`${this.res.integration}: watch made`, { connection: id });
      }
      const renew = this.res.renewAt(stored.watch);
      entry.failures = 0;
      entry.status = `watch: ${this.res.describe(stored.watch)} on ${what.target}, renews ${
        iso(renew)
      }`;
      this.arm(id, Math.min(renew - now(), this.lease.ttlMs / 2));
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

  private async saveCursor(id: string, cursor: string): Promise<void> {
    await writeSourceState(this.ctx.db, id, this.cursorKind, JSON.stringify({ cursor }));
  }

  private async fetch(id: string, msg: PushMessage): Promise<void> {
    const conn = await this.connection(id);
    const token = conn && tokensOf(conn.vars)?.accessToken;
    const what = conn && this.res.target(conn.vars);
    const stored = await this.load(id);
    if (!conn || !token || !what || "problem" in what || !stored) return;
    const text = await readSourceState(this.ctx.db, id, this.cursorKind);
    const cursor = text
      ? (JSON.parse(text) as { cursor: string }).cursor
      : await this.res.begin(token, what.target, stored.watch);
    const listed = await this.res.changes(token, what.target, cursor, msg);
    for (const change of listed.changes) {
      await this.guard.once(
        [replayKey(`${this.res.integration}.change`, `${id}:${change.identity}`)],
        KEEP_MS,
        () => deliver(this.ctx, [conn], change.eventType, change.data),
      );
    }
    await this.saveCursor(id, listed.cursor);
  }
}
