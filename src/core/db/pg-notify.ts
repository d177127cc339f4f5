// What nodes on one PostgreSQL database tell each other, by LISTEN/NOTIFY on a connection
// of its own (reconnected when it breaks):
//
// - `pounce_wake`: sessions that should look again (an event or signal for them was
//   committed by some node). A node wakes its own waiters at once and sends their ids; the
//   others wake theirs when the notification comes (milliseconds, not a poll).
// - `pounce_config`: a config table changed (sent by the database itself, from triggers
//   of the 0001 migration, at commit). `version` changes then, and the config cache drops
//   what it keeps; while the connection is down there is no version and nothing is kept.
//
// Notifications sent while a node's connection was down are lost to it: on reconnecting,
// it wakes all its waiters and drops its config (`onReconnect`, `version`).
import type pg from "pg";
import { randomUUID } from "node:crypto";
import { log } from "../util/log.ts";
import type { PgPool } from "./postgres.ts";

const WAKE = "pounce_wake";
const CONFIG = "pounce_config";
// NOTIFY payloads are at most 8000 bytes: ids per notification.
const IDS_PER_NOTIFY = 200;
const RETRY_MS = [100, 500, 1000, 2000, 5000];

export class PgChannels {
  // Changes on every config notification and reconnection; undefined while not listening.
  private configVersion = 0;
  private listening = false;
  private client?: InstanceType<typeof pg.Client>;
  private closed = false;
  private failures = 0;
  private outbox = new Set<string>();
  private flushing = false;
  // Who sent a notification: a node ignores its own wake-ups (it woke its waiters already).
  private readonly self = randomUUID().slice(0, 8);

  onWake: (sessionId: string) => void = () => {};
  onReconnect: () => void = () => {};
  // `connected` changed.
  onState: () => void = () => {};

  // `Client`: the driver's, as postgres.ts loaded it (this module imports no driver).
  constructor(
    private readonly url: string,
    private readonly pool: PgPool,
    private readonly Client: typeof pg.Client,
  ) {}

  get version(): number | undefined {
    return this.listening ? this.configVersion : undefined;
  }

  get connected(): boolean {
    return this.listening;
  }

  async start(): Promise<void> {
    if (this.closed) return;
    const client = new this.Client({ connectionString: this.url });
    this.client = client;
    client.on("notification", (n) => this.received(n.channel, n.payload ?? ""));
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    try {
      await client.connect();
      await client.query(`LISTEN ${WAKE}`);
      await client.query(`LISTEN ${CONFIG}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    const again = this.failures > 0;
    this.failures = 0;
    this.configVersion++;
    this.listening = true;
    this.onState();
    if (again) {
      log.info("listening to PostgreSQL notifications again");
      this.onReconnect();
    }
  }

  private lost(client: InstanceType<typeof pg.Client>, err: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    this.onState();
    client.end().catch(() => {});
    if (this.closed) return;
    const wait = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)];
    log.warn("PostgreSQL notifications lost; reconnecting", { error: err.message, in_ms: wait });
    setTimeout(() => void this.start(), wait).unref?.();
  }

  private received(channel: string, payload: string): void {
    if (channel === CONFIG) {
      this.configVersion++;
      return;
    }
    const [from, ids] = [payload.slice(0, 8), payload.slice(9)];
    if (from === this.self || !ids) return;
    for (const id of ids.split(",")) this.onWake(id);
  }

  // Tells the other nodes that these sessions should look again (sent together with what
  // else is asked for in the same pass of the event loop).
  wake(sessionId: string): void {
    this.outbox.add(sessionId);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    try {
      while (this.outbox.size && !this.closed) {
        const ids = [...this.outbox].slice(0, IDS_PER_NOTIFY);
        for (const id of ids) this.outbox.delete(id);
        await this.pool.query("SELECT pg_notify($1, $2)", [WAKE, `${this.self}:${ids.join(",")}`])
          .catch((err) => log.warn("a wake-up was not sent", { error: err.message }));
      }
    } finally {
      this.flushing = false;
    }
  }

  close(): void {
    this.closed = true;
    this.listening = false;
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => {});
  }
}
