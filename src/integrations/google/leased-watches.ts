// A per-connection Google watch kept alive under a source lease: one entry per connection
// of the integration, each looked after in its own serial queue. An upkeep runs when the
// connection appears, then again before the watch needs renewing (or half a lease later):
// the daemon that holds the connection's lease makes or renews the watch; failures back
// off and retry. The watch's state and the connection's cursor live in the database
// (source_states), so a restarted daemon carries on from them. What a watch is and how it
// is made is the subclass's (channels: watches.ts; Pub/Sub: pubsub-watches.ts).
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
import { ReplayGuard, replayKey } from "../replay-guard.ts";
import { SourceLease } from "../source-lease.ts";
import type { IntegrationContext, Service } from "../types.ts";
import type { Change } from "./resource.ts";

const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 5 * 60_000;
// How long a change's identity is remembered (a second daemon listing the same changes).
export const CHANGE_KEEP_MS = 7 * 24 * 3600_000;
const MAX_DELAY_MS = 2 ** 31 - 1;

export const iso = (ms: number) => new Date(ms).toISOString();

export const NO_TOKEN = "no OAuth token: run `pounce connection init`";

// What an upkeep found: why the connection has no watch (and how to take down what it
// had), or how to make or renew it — giving the status line and when to look again.
export type WatchPlan =
  | { problem: string; withdraw: () => Promise<void> }
  | { keep: () => Promise<{ status: string; renewAt: number }> };

type Entry = { timer?: ReturnType<typeof setTimeout>; status: string; failures: number };

export abstract class LeasedWatches<Stored> implements Service {
  private readonly entries = new Map<string, Entry>();
  private readonly queues = new Map<string, SerialQueue>();
  protected readonly guard: ReplayGuard;
  private readonly lease: SourceLease;
  protected closed = false;

  constructor(
    protected readonly ctx: IntegrationContext,
    protected readonly integration: string,
    private readonly path: string,
  ) {
    this.guard = new ReplayGuard(ctx.db);
    this.lease = new SourceLease(
      ctx.db,
      ctx.nodeId ?? `pid-${process.pid}-${randomBytes(4).toString("hex")}`,
    );
  }

  // Looks at a connection before its upkeep (run whether or not this daemon holds the lease).
  protected abstract plan(id: string, conn: ConnectionWithVars): WatchPlan;

  // Takes down the watch of a connection that is gone (run in the connection's queue).
  protected abstract removed(id: string): Promise<void>;

  private get kind(): string {
    return `${this.integration}.watch`;
  }

  private get cursorKind(): string {
    return `${this.integration}.cursor`;
  }

  private leaseName(id: string): string {
    return `${this.kind}:${id}`;
  }

  // Where Google posts (for Pub/Sub, also the push token's default audience).
  address(): string {
    const host = process.env.WEBHOOK_ADDRESS;
    return (host ? `https://${host}` : this.ctx.serviceUrl()) + this.path;
  }

  async reload(): Promise<void> {
    if (this.closed) return;
    const conns = await connectionsOf(this.ctx.db, this.ctx.box, this.integration);
    const ids = new Set(conns.map((c) => c.id));
    for (const id of [...this.entries.keys()]) {
      if (ids.has(id)) continue;
      this.drop(id);
      await this.queue(id).run(() => this.removed(id));
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

  // The connection's work, one thing at a time (upkeep, listing changes, removal).
  protected queue(id: string): SerialQueue {
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

  // Makes, renews or takes down the connection's watch as its config says, if this daemon
  // holds its lease; then plans the next look.
  private async upkeep(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry || this.closed) return;
    try {
      const conn = await this.connection(id);
      if (!conn) return;
      const plan = this.plan(id, conn);
      if (!(await this.lease.hold(this.leaseName(id)))) {
        entry.status = "watch: kept by another daemon";
        this.arm(id, this.lease.ttlMs / 2);
        return;
      }
      if ("problem" in plan) {
        await plan.withdraw();
        entry.status = `watch: none: ${plan.problem}`;
        this.arm(id, this.lease.ttlMs / 2);
        return;
      }
      const kept = await plan.keep();
      entry.failures = 0;
      entry.status = `watch: ${kept.status}`;
      this.arm(id, Math.min(kept.renewAt - now(), this.lease.ttlMs / 2));
    } catch (err) {
      entry.failures++;
      const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (entry.failures - 1));
      entry.status = `watch: failed: ${(err as Error).message} (retry at ${iso(now() + delay)})`;
      log.warn(`${this.integration}: watch not kept`, {
        connection: id,
        error: (err as Error).message,
      });
      this.arm(id, delay);
    }
  }

  protected async connection(id: string): Promise<ConnectionWithVars | undefined> {
    const row = await connectionById(this.ctx.db, id);
    return row && (await withVars(this.ctx.db, this.ctx.box, [row]))[0];
  }

  protected async load(id: string): Promise<Stored | undefined> {
    const text = await readSourceState(this.ctx.db, id, this.kind);
    return text ? JSON.parse(text) as Stored : undefined;
  }

  protected save(id: string, stored: Stored): Promise<void> {
    return writeSourceState(this.ctx.db, id, this.kind, JSON.stringify(stored));
  }

  // Forgets the connection's watch and cursor.
  protected async forget(id: string): Promise<void> {
    await deleteSourceState(this.ctx.db, id, this.kind);
    await deleteSourceState(this.ctx.db, id, this.cursorKind);
  }

  protected async cursor(id: string): Promise<string | undefined> {
    const text = await readSourceState(this.ctx.db, id, this.cursorKind);
    return text ? (JSON.parse(text) as { cursor: string }).cursor : undefined;
  }

  protected saveCursor(id: string, cursor: string): Promise<void> {
    return writeSourceState(this.ctx.db, id, this.cursorKind, JSON.stringify({ cursor }));
  }

  // Delivers each change once: a second daemon listing the same changes delivers none of
  // them again.
  protected async deliverOnce(id: string, conn: ConnectionWithVars, changes: Change[]) {
    for (const change of changes) {
      await this.guard.once(
        [replayKey(`${this.integration}.change`, `${id}:${change.identity}`)],
        CHANGE_KEEP_MS,
        () => deliver(this.ctx, [conn], change.eventType, change.data),
      );
    }
  }
}
