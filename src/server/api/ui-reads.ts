// Read-only views the web UI needs: a session's timeline, sessions and events found by
// filters a page at a time, why an event started no session, a project's session counts.
import { Hono } from "hono";
import {
  explainEvent,
  searchEvents,
  sessionsOfEvent,
  sourceNames,
} from "../../core/event-search.ts";
import { projectById } from "../../core/projects/projects.ts";
import { SESSION_STATES, type SessionState } from "../../core/sessions/rows.ts";
import { searchSessions, sessionCounts } from "../../core/sessions/search.ts";
import { sessionTimeline } from "../../core/sessions/timeline.ts";
import { triggerByName } from "../../core/triggers/lookup.ts";
import type { Engine } from "../engine.ts";
import { ApiError } from "./errors.ts";
import { eventJson, iso, sessionJson } from "./json.ts";
import { optionalProject, projectByName, sessionByRef } from "./lookup.ts";

const MAX_PAGE = 500;

function page(q: (name: string) => string | undefined) {
  const limit = Number(q("limit") ?? 100);
  const offset = Number(q("offset") ?? 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new ApiError(400, `limit: must be a whole number from 1 to ${MAX_PAGE}`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ApiError(400, "offset: must be a whole number, 0 or more");
  }
  return { limit, offset };
}

// An ISO time or milliseconds since the epoch.
function time(q: (name: string) => string | undefined, name: string): number | undefined {
  const v = q(name);
  if (!v) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(ms)) throw new ApiError(400, `${name}: not a time: "${v}"`);
  return ms;
}

const duration = (start: number | null, end: number | null) =>
  start !== null && end !== null ? end - start : null;

export function uiReadRoutes(engine: Engine): Hono {
  const api = new Hono();
  const { db } = engine;

  api.get("/sessions/:ref/timeline", async (c) => {
    const s = await sessionByRef(engine, c.req.param("ref"));
    const [timeline, project, names] = await Promise.all([
      sessionTimeline(db, engine.box, s),
      projectById(db, s.projectId),
      sourceNames(db, s.triggerId ? [s.triggerId] : []),
    ]);
    return c.json({
      session: {
        ...sessionJson(s),
        project: project?.name ?? null,
        trigger_id: s.triggerId,
        trigger: s.triggerId ? names.get(s.triggerId) ?? null : null,
        runs: s.runs,
        duration_ms: duration(s.startedAt, s.endedAt),
        inputs_keys: Object.keys((s.inputs ?? {}) as object),
        memo: s.memo,
      },
      timeline,
    });
  });

  // The `trigger` filter: a trigger of the `project` filter's project, by name.
  const triggerOf = async (
    p: { id: string; name: string } | undefined,
    name: string | undefined,
  ): Promise<string | undefined> => {
    if (!name) return undefined;
    if (!p) throw new ApiError(400, "trigger: give the project too");
    const t = await triggerByName(db, p.id, name);
    if (!t) throw new ApiError(404, `trigger "${name}" not found in ${p.name}`);
    return t.id;
  };

  api.get("/session-search", async (c) => {
    const q = (name: string) => c.req.query(name);
    const p = await optionalProject(engine, q("project"));
    const state = q("state") as SessionState | undefined;
    if (state && !SESSION_STATES.includes(state)) {
      throw new ApiError(400, `state: must be one of ${SESSION_STATES.join(", ")}`);
    }
    const triggerId = await triggerOf(p, q("trigger"));
    const { limit, offset } = page(q);
    const { sessions, total } = await searchSessions(db, {
      projectId: p?.id,
      state,
      entrypoint: q("entrypoint") || undefined,
      triggerId,
      eventId: q("event") || undefined,
      since: time(q, "since"),
      until: time(q, "until"),
      text: q("q") || undefined,
      limit,
      offset,
    });
    return c.json({
      total,
      offset,
      limit,
      sessions: sessions.map((s) => ({
        ...sessionJson(s),
        project: s.projectName,
        trigger: s.triggerName,
        duration_ms: duration(s.startedAt, s.endedAt),
      })),
    });
  });

  api.get("/event-search", async (c) => {
    const q = (name: string) => c.req.query(name);
    const p = await optionalProject(engine, q("project"));
    const destinationId = await triggerOf(p, q("trigger"));
    const { limit, offset } = page(q);
    const { events, total } = await searchEvents(db, {
      projectId: p?.id,
      eventType: q("type") || undefined,
      destinationId,
      since: time(q, "since"),
      until: time(q, "until"),
      limit,
      offset,
    });
    return c.json({
      total,
      offset,
      limit,
      events: events.map((e) => ({
        ...eventJson(e),
        project: e.projectName,
        source: e.source,
        session_count: e.sessionCount,
      })),
    });
  });

  // The sessions an event started and, when none, why (trigger by trigger).
  api.get("/events/:id/outcome", async (c) => {
    const e = await engine.events.get(c.req.param("id"));
    if (!e) throw new ApiError(404, `event "${c.req.param("id")}" not found`);
    const [started, project, names] = await Promise.all([
      sessionsOfEvent(db, e.id),
      e.projectId ? projectById(db, e.projectId) : undefined,
      sourceNames(db, [e.destinationId]),
    ]);
    const verdicts = started.length ? [] : await explainEvent(db, e);
    return c.json({
      event_id: e.id,
      project: project?.name ?? null,
      source: names.get(e.destinationId) ?? null,
      dispatched: e.dispatched,
      sessions: started.map((s) => ({
        session_id: s.id,
        state: s.state,
        entrypoint: s.entrypoint,
        created_at: iso(s.createdAt),
      })),
      verdicts,
    });
  });

  api.get("/projects/:ref/session-counts", async (c) => {
    const p = await projectByName(engine, c.req.param("ref"));
    return c.json({ project: p.name, counts: await sessionCounts(db, p.id) });
  });

  return api;
}
