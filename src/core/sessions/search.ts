// Finding sessions for people (the web UI's lists): by project, state, entry point,
// trigger, time range and text in their prints, a page at a time, with the total.
import { and, count, desc, eq, gte, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { jsonText, likeOperator } from "../db/dialect.ts";
import { projects, sessions, triggers } from "../db/schema.ts";
import type { Session, SessionState } from "./rows.ts";

export type SessionSearch = {
  projectId?: string;
  state?: SessionState;
  // Matched as a substring ("main.py:on_" finds main.py:on_hook).
  entrypoint?: string;
  triggerId?: string;
  eventId?: string;
  // Created at or after `since`, at or before `until` (ms since the epoch).
  since?: number;
  until?: number;
  // A substring of any of the session's prints.
  text?: string;
  offset?: number;
  limit?: number;
};

export type FoundSession = Session & { projectName: string; triggerName: string | null };

// LIKE's wildcards, taken literally.
const literal = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function searchSessions(
  db: Db,
  q: SessionSearch,
): Promise<{ sessions: FoundSession[]; total: number }> {
  const where: SQL[] = [];
  if (q.projectId) where.push(eq(sessions.projectId, q.projectId));
  if (q.state) where.push(eq(sessions.state, q.state));
  if (q.triggerId) where.push(eq(sessions.triggerId, q.triggerId));
  if (q.eventId) where.push(eq(sessions.eventId, q.eventId));
  if (q.entrypoint) {
    where.push(
      sql`${sessions.entrypoint} ${sql.raw(likeOperator(db))} ${`%${literal(q.entrypoint)}%`}
        ESCAPE '\\'`,
    );
  }
  if (q.since !== undefined) where.push(gte(sessions.createdAt, q.since));
  if (q.until !== undefined) where.push(lte(sessions.createdAt, q.until));
  if (q.text) {
    where.push(sql`EXISTS (SELECT 1 FROM session_logs l WHERE l.session_id = ${sessions.id}
      AND l.type = 'print'
      AND ${sql.raw(jsonText(db, "l.data", "text"))} ${sql.raw(likeOperator(db))}
        ${`%${literal(q.text)}%`} ESCAPE '\\')`);
  }
  const filter = and(...where);
  const [rows, [{ n }]] = await Promise.all([
    db.select({ s: sessions, projectName: projects.name, triggerName: triggers.name })
      .from(sessions)
      .leftJoin(projects, eq(projects.id, sessions.projectId))
      .leftJoin(triggers, eq(triggers.id, sessions.triggerId))
      .where(filter)
      .orderBy(desc(sessions.createdAt), desc(sessions.id))
      .limit(q.limit ?? 100).offset(q.offset ?? 0),
    db.select({ n: count() }).from(sessions).where(filter),
  ]);
  return {
    sessions: rows.map((r) => ({
      ...r.s,
      projectName: r.projectName ?? "",
      triggerName: r.triggerName,
    })),
    total: n,
  };
}

// How many sessions of a project are in each state.
export async function sessionCounts(
  db: Db,
  projectId: string,
): Promise<Partial<Record<SessionState, number>>> {
  const rows = await db.select({ state: sessions.state, n: count() }).from(sessions)
    .where(eq(sessions.projectId, projectId)).groupBy(sessions.state);
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}
