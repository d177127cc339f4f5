// Leases on long-lived sources: one daemon among those sharing the database runs a
// source (renews a watch, keeps a gateway link) at a time. Each statement is fenced by
// the owner: a daemon only extends or drops a lease it holds.
import { and, eq, lt, or } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { groupCommit } from "../db/group-commit.ts";
import { sourceLeases } from "../db/schema.ts";

// Takes or extends the lease `name` until `until` when it is free, expired at `t`, or
// already `owner`'s; true when `owner` holds it afterwards.
export async function claimSourceLease(
  db: Db,
  name: string,
  owner: string,
  t: number,
  until: number,
): Promise<boolean> {
  const rows = await groupCommit(db).write(
    (tx) =>
      tx.insert(sourceLeases).values({ name, owner, until })
        .onConflictDoUpdate({
          target: sourceLeases.name,
          set: { owner, until },
          setWhere: or(eq(sourceLeases.owner, owner), lt(sourceLeases.until, t)),
        })
        .returning({ name: sourceLeases.name }),
    { isolated: true },
  );
  return rows.length > 0;
}

// Drops the lease if `owner` holds it.
export async function releaseSourceLease(db: Db, name: string, owner: string): Promise<void> {
  await groupCommit(db).write(
    (tx) =>
      tx.delete(sourceLeases)
        .where(and(eq(sourceLeases.name, name), eq(sourceLeases.owner, owner))),
    { isolated: true },
  );
}
