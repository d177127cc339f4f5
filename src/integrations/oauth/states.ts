// The `state` of consent flows in progress: random, single-use, bound to one connection
// and its redirect, and short-lived. Kept in this daemon's memory: the redirect must come
// back to the daemon that printed the consent URL.
import { now } from "../../core/util/clock.ts";

export const STATE_TTL_MS = 10 * 60_000;
const MAX_PENDING = 1000;

export type Pending = {
  connectionId: string;
  redirect: string;
  redirectUri: string;
  verifier?: string;
  expiresAt: number;
};

export class PendingStates {
  private readonly pending = new Map<string, Pending>();

  add(state: string, p: Omit<Pending, "expiresAt">): Pending {
    this.drop();
    // Oldest first: a flood of inits forgets the oldest flows, never grows without bound.
    while (this.pending.size >= MAX_PENDING) {
      this.pending.delete(this.pending.keys().next().value!);
    }
    const entry = { ...p, expiresAt: now() + STATE_TTL_MS };
    this.pending.set(state, entry);
    return entry;
  }

  // The flow of `state`, removed whatever the outcome: a state works once.
  take(state: string | null | undefined, redirect: string): Pending | undefined {
    if (!state) return undefined;
    const p = this.pending.get(state);
    this.pending.delete(state);
    if (!p || p.expiresAt <= now() || p.redirect !== redirect) return undefined;
    return p;
  }

  private drop(): void {
    const t = now();
    for (const [k, p] of this.pending) if (p.expiresAt <= t) this.pending.delete(k);
  }
}
