// Refuses replays of signed inbound requests: a request is remembered (in the database,
// so every daemon sharing it knows) once its events are stored, under a key that names
// it (a Slack signature, a GitHub delivery id), until it could not be accepted anyway.
import { eq, lt } from "drizzle-orm";
import { now } from "../core/clock.ts";
import type { Db } from "../core/db/client.ts";
import { seenRequests } from "../core/db/schema.ts";

// Expired keys are swept at most this often.
const SWEEP_MS = 60_000;
let sweptAt = 0;

export async function seen(db: Db, key: string): Promise<boolean> {
  const row = await db.query.seenRequests.findFirst({ where: eq(seenRequests.key, key) });
  return !!row && row.expiresAt > now();
}

// Called after the request's events are stored: a crash before this lets a resent
// request through again (at-least-once) rather than lose it.
export async function remember(db: Db, key: string, keepMs: number): Promise<void> {
  const t = now();
  await db.insert(seenRequests).values({ key, expiresAt: t + keepMs })
    .onConflictDoUpdate({ target: seenRequests.key, set: { expiresAt: t + keepMs } });
  if (t - sweptAt > SWEEP_MS) {
    sweptAt = t;
    await db.delete(seenRequests).where(lt(seenRequests.expiresAt, t));
  }
}
