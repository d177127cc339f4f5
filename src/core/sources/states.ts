// What long-lived sources keep per connection across restarts (e.g. a Google watch
// channel and its sync token), as JSON text the integration writes (sealing its secrets).
import { and, eq } from "drizzle-orm";
import { now } from "../util/clock.ts";
import type { Db } from "../db/client.ts";
import { groupCommit } from "../db/group-commit.ts";
import { sourceStates } from "../db/schema.ts";

export async function readSourceState(
  db: Db,
  connectionId: string,
  kind: string,
): Promise<string | undefined> {
  const [row] = await db.select({ state: sourceStates.state }).from(sourceStates)
    .where(and(eq(sourceStates.connectionId, connectionId), eq(sourceStates.kind, kind)));
  return row?.state;
}

export async function writeSourceState(
  db: Db,
  connectionId: string,
  kind: string,
  state: string,
): Promise<void> {
  const t = now();
  await groupCommit(db).write(
    (tx) =>
      tx.insert(sourceStates).values({ connectionId, kind, state, updatedAt: t })
        .onConflictDoUpdate({
          target: [sourceStates.connectionId, sourceStates.kind],
          set: { state, updatedAt: t },
        }),
    { isolated: true },
  );
}

export async function deleteSourceState(db: Db, connectionId: string, kind: string): Promise<void> {
  await groupCommit(db).write(
    (tx) =>
      tx.delete(sourceStates)
        .where(and(eq(sourceStates.connectionId, connectionId), eq(sourceStates.kind, kind))),
    { isolated: true },
  );
}
