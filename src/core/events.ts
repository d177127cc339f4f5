// Events: stored first (each gets a global sequence number), dispatched after.
import { and, desc, eq, type SQL } from "drizzle-orm";
import { now } from "./util/clock.ts";
import type { Db } from "./db/client.ts";
import { events } from "./db/schema.ts";
import { execOn, type Tx } from "./db/tx.ts";
import { groupCommit } from "./db/group-commit.ts";
import { newId } from "./util/ids.ts";

export type EventRow = typeof events.$inferSelect;

export type NewEvent = {
  projectId: string | null;
  destinationId: string;
  eventType: string;
  data: Record<string, unknown>;
  memo?: Record<string, string>;
};

// The row for a new event, for callers that insert it inside their own transaction.
export function newEventRow(e: NewEvent): typeof events.$inferInsert {
  return {
    id: newId("evt"),
    projectId: e.projectId,
    destinationId: e.destinationId,
    eventType: e.eventType,
    data: e.data,
    memo: e.memo ?? {},
    createdAt: now(),
  };
}

// Inserts a new event's row in plain SQL (see execOn: it runs for every event).
export async function insertEvent(
  tx: Tx,
  row: ReturnType<typeof newEventRow> & { dispatched: boolean },
): Promise<EventRow> {
  const { rows } = await execOn(tx)(
    `INSERT INTO events (id, project_id, destination_id, event_type, data, memo, dispatched,
       created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
    [
      row.id!,
      row.projectId ?? null,
      row.destinationId,
      row.eventType,
      JSON.stringify(row.data),
      JSON.stringify(row.memo),
      row.dispatched ? 1 : 0,
      row.createdAt,
    ],
  );
  return {
    seq: Number(rows[0].seq),
    id: row.id!,
    projectId: row.projectId ?? null,
    destinationId: row.destinationId,
    eventType: row.eventType,
    data: row.data,
    memo: row.memo,
    dispatched: row.dispatched,
    createdAt: row.createdAt,
  };
}

export class Events {
  constructor(private readonly db: Db) {}

  get(id: string): Promise<EventRow | undefined> {
    return this.db.query.events.findFirst({ where: eq(events.id, id) });
  }

  list(
    filter: { projectId?: string; destinationId?: string; eventType?: string; limit?: number },
  ): Promise<EventRow[]> {
    const where: SQL[] = [];
    if (filter.projectId) where.push(eq(events.projectId, filter.projectId));
    if (filter.destinationId) where.push(eq(events.destinationId, filter.destinationId));
    if (filter.eventType) where.push(eq(events.eventType, filter.eventType));
    return this.db.select().from(events).where(and(...where)).orderBy(desc(events.seq)).limit(
      filter.limit ?? 50,
    );
  }

  // Stores an event that starts nothing (input refused but kept for a look, or for
  // `pounce event redispatch`): marked dispatched, so no daemon dispatches it later.
  keep(n: NewEvent): Promise<EventRow> {
    return groupCommit(this.db).write(
      (tx) => insertEvent(tx, { ...newEventRow(n), dispatched: true }),
      { isolated: true },
    );
  }

  undispatched(): Promise<EventRow[]> {
    return this.db.select().from(events).where(eq(events.dispatched, false)).orderBy(events.seq);
  }
}
