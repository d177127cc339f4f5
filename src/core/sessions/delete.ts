// A session's children (log, journal, subscriptions, signals), deleted by hand where the
// foreign keys' cascades are not enforced (a libSQL server: db/client.ts
// `foreignKeysEnforced`).
import { inArray, type SQLWrapper } from "drizzle-orm";
import type { Tx } from "../db/tx.ts";
import { sessionLogs, sessionSteps, signals, subscriptions } from "../db/schema.ts";

export async function deleteSessionChildren(tx: Tx, ids: SQLWrapper | string[]): Promise<void> {
  await tx.delete(sessionLogs).where(inArray(sessionLogs.sessionId, ids));
  await tx.delete(sessionSteps).where(inArray(sessionSteps.sessionId, ids));
  await tx.delete(subscriptions).where(inArray(subscriptions.sessionId, ids));
  await tx.delete(signals).where(inArray(signals.sessionId, ids));
}
