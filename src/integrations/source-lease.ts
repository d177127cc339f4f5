// One daemon at a time runs a long-lived source (renews a Google watch, would keep a
// Discord gateway link) when several share a database: it holds the source's lease,
// renewing it while it works; a daemon that dies stops renewing and another takes over
// once the lease has expired.
import { claimSourceLease, releaseSourceLease } from "../core/sources/leases.ts";
import { now } from "../core/util/clock.ts";
import type { Db } from "../core/db/client.ts";

export const SOURCE_LEASE_MS = 30_000;

export class SourceLease {
  constructor(
    private readonly db: Db,
    readonly owner: string,
    readonly ttlMs: number = SOURCE_LEASE_MS,
  ) {}

  // Takes the lease `name`, or extends it when this daemon holds it; false when another
  // daemon holds it.
  hold(name: string): Promise<boolean> {
    const t = now();
    return claimSourceLease(this.db, name, this.owner, t, t + this.ttlMs);
  }

  release(name: string): Promise<void> {
    return releaseSourceLease(this.db, name, this.owner);
  }
}
