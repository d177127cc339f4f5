// Per-webhook rate limits: a token bucket per slug that holds one second's worth of
// requests (at least one) and refills at `perSecond`. Requests beyond it get 429.
type Bucket = { tokens: number; at: number };

// Buckets idle this long are full again and are dropped, so the map stays small.
const IDLE_MS = 60_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private sweptAt = 0;

  constructor(readonly perSecond: number, private readonly clock: () => number = Date.now) {}

  // True when a request on `key` may go ahead now; else how many seconds until one may.
  take(key: string): true | number {
    const t = this.clock();
    this.sweep(t);
    const burst = Math.max(1, this.perSecond);
    const b = this.buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    return Math.ceil((1 - b.tokens) / this.perSecond);
  }

  private sweep(t: number): void {
    if (t - this.sweptAt < IDLE_MS) return;
    this.sweptAt = t;
    for (const [key, b] of this.buckets) if (t - b.at > IDLE_MS) this.buckets.delete(key);
  }
}
