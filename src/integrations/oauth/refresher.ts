// Keeps OAuth tokens fresh: one timer per connection, due a while before its token expires
// (at most LEAD_MS before, at least half the time left), retried with backoff when the
// provider fails. A refresh runs once at a time per connection, so the timer and a
// session's refresh_oauth never spend the same (rotating) refresh token twice.
import { now } from "../../core/util/clock.ts";
import { log } from "../../core/util/log.ts";
import { OAuthError } from "./client.ts";
import type { Tokens } from "./tokens.ts";

const LEAD_MS = 5 * 60_000;
const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 5 * 60_000;
// setTimeout's longest delay.
const MAX_DELAY_MS = 2 ** 31 - 1;

export type RefreshStatus = {
  state: "scheduled" | "refreshing" | "failed" | "fresh";
  next_refresh_at?: string;
  last_refresh_at?: string;
  last_error?: string;
  failures: number;
};

const iso = (ms: number) => new Date(ms).toISOString();

export class Refresher {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly inflight = new Map<string, Promise<Tokens>>();
  private readonly states = new Map<string, RefreshStatus>();
  private closed = false;

  // `renew` asks the provider and stores what it answers.
  constructor(private readonly renew: (connectionId: string) => Promise<Tokens>) {}

  status(connectionId: string): RefreshStatus | undefined {
    return this.states.get(connectionId);
  }

  // Plans the refresh of a token that expires at `expiresAt` (null: never; nothing to do).
  schedule(connectionId: string, expiresAt: number | null): void {
    this.clearTimer(connectionId);
    const s = this.states.get(connectionId) ?? { state: "fresh", failures: 0 };
    if (expiresAt === null) {
      this.states.set(connectionId, { ...s, state: "fresh", next_refresh_at: undefined });
      return;
    }
    const left = expiresAt - now();
    const delay = left <= 0 ? 0 : Math.max(left - LEAD_MS, left / 2);
    this.states.set(connectionId, { ...s, state: "scheduled" });
    this.arm(connectionId, delay);
  }

  refresh(connectionId: string): Promise<Tokens> {
    const running = this.inflight.get(connectionId);
    if (running) return running;
    const p = this.run(connectionId).finally(() => this.inflight.delete(connectionId));
    this.inflight.set(connectionId, p);
    return p;
  }

  forget(connectionId: string): void {
    this.clearTimer(connectionId);
    this.states.delete(connectionId);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private async run(connectionId: string): Promise<Tokens> {
    const before = this.states.get(connectionId) ?? { state: "fresh", failures: 0 };
    this.states.set(connectionId, { ...before, state: "refreshing" });
    try {
      const tokens = await this.renew(connectionId);
      this.states.set(connectionId, { state: "fresh", last_refresh_at: iso(now()), failures: 0 });
      this.schedule(connectionId, tokens.expiresAt);
      return tokens;
    } catch (err) {
      const failures = before.failures + 1;
      const message = (err as Error).message;
      const status: RefreshStatus = {
        ...before,
        state: "failed",
        last_error: message,
        failures,
        next_refresh_at: undefined,
      };
      this.clearTimer(connectionId);
      // The provider may answer later; a missing app or refresh token needs the user.
      if (!(err instanceof OAuthError) || err.status === 502) {
        const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (failures - 1));
        status.next_refresh_at = iso(now() + delay);
        this.arm(connectionId, delay);
      }
      this.states.set(connectionId, status);
      log.warn("oauth token refresh failed", {
        connection: connectionId,
        error: message,
        failures,
      });
      throw err;
    }
  }

  private arm(connectionId: string, delay: number): void {
    if (this.closed) return;
    const at = now() + delay;
    const timer = setTimeout(() => {
      this.timers.delete(connectionId);
      this.refresh(connectionId).catch(() => {}); // recorded in its status
    }, Math.min(delay, MAX_DELAY_MS));
    this.timers.set(connectionId, timer);
    const s = this.states.get(connectionId);
    if (s) s.next_refresh_at = iso(at);
    else {this.states.set(connectionId, {
        state: "scheduled",
        failures: 0,
        next_refresh_at: iso(at),
      });}
  }

  private clearTimer(connectionId: string): void {
    const t = this.timers.get(connectionId);
    if (t) clearTimeout(t);
    this.timers.delete(connectionId);
  }
}
