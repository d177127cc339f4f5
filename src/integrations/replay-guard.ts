// Refuses replays of signed inbound requests. A request is named by what is signed (a
// Slack signature, the MAC of a GitHub body), never by an unsigned header such as a
// delivery id, and remembered in the database, so every daemon sharing it knows, until it
// could not be accepted anyway.
//
// A request claims its key before its events are stored (at once, so two copies arriving
// together cannot both pass), for a short while; once its events are stored the key is
// kept for good. A crash in between lets a resent copy through once the claim lapses
// (at-least-once) rather than lose the request; a failure lets it go at once.
import { createHash } from "node:crypto";
import { now } from "../core/util/clock.ts";
import type { Db } from "../core/db/client.ts";
import {
  claimRequestKey,
  forgetRequestKeys,
  keepRequestKeys,
  sweepRequestKeys,
} from "../core/seen-requests.ts";

// Expired keys are swept at most this often.
const SWEEP_MS = 60_000;
// How long a claim lasts if the daemon dies before the request's events are stored.
const CLAIM_MS = 60_000;
let sweptAt = 0;

// A fixed-length key for signed material of any length.
export function replayKey(kind: string, signed: string): string {
  return `${kind}:${createHash("sha256").update(signed).digest("hex")}`;
}

export class ReplayGuard {
  constructor(private readonly db: Db) {}

  // Runs `store` once per request within `keepMs`; a replay runs nothing. A request may
  // have several names (a GitHub body verified with two secrets): seen under any of them,
  // it is a replay.
  async once<T>(
    keys: readonly string[],
    keepMs: number,
    store: () => Promise<T>,
  ): Promise<{ replay: true } | { replay: false; result: T }> {
    const claimed: string[] = [];
    let result: T;
    try {
      for (const key of keys) {
        if (!(await this.claim(key))) {
          await this.forget(claimed);
          return { replay: true };
        }
        claimed.push(key);
      }
      result = await store();
    } catch (err) {
      await this.forget(claimed);
      throw err;
    }
    await this.keep(claimed, keepMs);
    return { replay: false, result };
  }

  private async forget(keys: string[]): Promise<void> {
    if (keys.length) await forgetRequestKeys(this.db, keys);
  }

  // Takes the key unless it is held and not expired, in one statement.
  private claim(key: string): Promise<boolean> {
    const t = now();
    return claimRequestKey(this.db, key, t, t + CLAIM_MS);
  }

  private async keep(keys: string[], keepMs: number): Promise<void> {
    const t = now();
    await keepRequestKeys(this.db, keys, t + keepMs);
    if (t - sweptAt > SWEEP_MS) {
      sweptAt = t;
      await sweepRequestKeys(this.db, t);
    }
  }
}
