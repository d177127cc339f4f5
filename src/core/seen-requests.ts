// Keys of signed inbound requests already seen, each kept until it expires (the policy is
// in integrations/replay-guard.ts).
import { inArray, lt, lte } from "drizzle-orm";
import type { Db } from "./db/client.ts";
import { seenRequests } from "./db/schema.ts";
import { groupCommit } from "./db/group-commit.ts";

// Each write fails alone (see db/group-commit.ts).
const ISOLATED = { isolated: true };

// Takes the key until `expiresAt` unless it is held and not expired at `t`, in one
// statement; false when it is held.
export async function claimRequestKey(
  db: Db,
  key: string,
  t: number,
  expiresAt: number,
): Promise<boolean> {
  const rows = await groupCommit(db).write(
    (tx) =>
      tx.insert(seenRequests).values({ key, expiresAt })
        .onConflictDoUpdate({
          target: seenRequests.key,
          set: { expiresAt },
          setWhere: lte(seenRequests.expiresAt, t),
        })
        .returning({ key: seenRequests.key }),
    ISOLATED,
  );
  return rows.length > 0;
}

export async function forgetRequestKeys(db: Db, keys: string[]): Promise<void> {
  await groupCommit(db).write(
    (tx) => tx.delete(seenRequests).where(inArray(seenRequests.key, keys)),
    ISOLATED,
  );
}

export async function keepRequestKeys(db: Db, keys: string[], expiresAt: number): Promise<void> {
  await groupCommit(db).write(
    (tx) => tx.update(seenRequests).set({ expiresAt }).where(inArray(seenRequests.key, keys)),
    ISOLATED,
  );
}

// Drops the keys that expired before `t`.
export async function sweepRequestKeys(db: Db, t: number): Promise<void> {
  await groupCommit(db).write(
    (tx) => tx.delete(seenRequests).where(lt(seenRequests.expiresAt, t)),
    ISOLATED,
  );
}
