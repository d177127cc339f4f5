// Keys of signed inbound requests already seen, each kept until it expires (the policy is
// in integrations/replay-guard.ts).
import { inArray, lt, lte } from "drizzle-orm";
import type { Db } from "./db/client.ts";
import { seenRequests } from "./db/schema.ts";

// Takes the key until `expiresAt` unless it is held and not expired at `t`, in one
// statement; false when it is held.
export async function claimRequestKey(
  db: Db,
  key: string,
  t: number,
  expiresAt: number,
): Promise<boolean> {
  const rows = await db.insert(seenRequests).values({ key, expiresAt })
    .onConflictDoUpdate({
      target: seenRequests.key,
      set: { expiresAt },
      setWhere: lte(seenRequests.expiresAt, t),
    })
    .returning({ key: seenRequests.key });
  return rows.length > 0;
}

export async function forgetRequestKeys(db: Db, keys: string[]): Promise<void> {
  await db.delete(seenRequests).where(inArray(seenRequests.key, keys));
}

export async function keepRequestKeys(db: Db, keys: string[], expiresAt: number): Promise<void> {
  await db.update(seenRequests).set({ expiresAt }).where(inArray(seenRequests.key, keys));
}

// Drops the keys that expired before `t`.
export async function sweepRequestKeys(db: Db, t: number): Promise<void> {
  await db.delete(seenRequests).where(lt(seenRequests.expiresAt, t));
}
