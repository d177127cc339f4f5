// Sessions and their log records.
import { Hono } from "hono";
import {
  isFinal,
  type Session,
  SESSION_STATES,
  type SessionState,
} from "../../core/sessions/rows.ts";
import type { Engine } from "../engine.ts";
import { ApiError } from "./errors.ts";
import { iso, sessionJson } from "./json.ts";
import { optionalProject, sessionByRef } from "./lookup.ts";

export function sessionRoutes(engine: Engine): Hono {
  const api = new Hono();

  api.get("/sessions", async (c) => {
    const p = await optionalProject(engine, c.req.query("project"));
    const state = c.req.query("state") as SessionState | undefined;
    if (state && !SESSION_STATES.includes(state)) {
      throw new ApiError(400, `state must be one of ${SESSION_STATES.join(", ")}`);
    }
    const limit = Math.min(Number(c.req.query("limit") ?? 50) || 50, 1000);
    const rows = await engine.sessions.list({
      projectId: p?.id,
      state,
      limit,
      eventId: c.req.query("event"),
    });
    return c.json({ sessions: await Promise.all(rows.map((s) => withWaiting(engine, s))) });
  });

  api.get(
    "/sessions/:ref",
    async (c) =>
      c.json({
        session: await withWaiting(engine, await sessionByRef(engine, c.req.param("ref"))),
      }),
  );

  api.get("/sessions/:ref/prints", async (c) => {
    const s = await sessionByRef(engine, c.req.param("ref"));
    const records = await engine.sessions.logs(s.id, { types: ["print"] });
    return c.json({
      session_id: s.id,
      state: s.state,
      prints: records.map((r) => ({
        seq: r.seq,
        text: (r.data as { text: string }).text,
        t: iso(r.createdAt),
      })),
    });
  });

  api.get("/sessions/:ref/log", async (c) => {
    const s = await sessionByRef(engine, c.req.param("ref"));
    const after = c.req.query("after");
    const records = await engine.sessions.logs(s.id, { after: after ? Number(after) : undefined });
    return c.json({
      session_id: s.id,
      state: s.state,
      records: records.map((r) => logRecordJson(r.seq, r.type, r.createdAt, r.data)),
    });
  });

  // Final sessions only, by id (not by project name).
  api.delete("/sessions/:id", async (c) => {
    const id = c.req.param("id");
    if (!id.startsWith("ses_")) throw new ApiError(400, "delete takes a session id");
    const s = await sessionByRef(engine, id);
    if (!isFinal(s.state)) {
      throw new ApiError(409, `session "${id}" is ${s.state}; stop it first`);
    }
    await engine.sessions.remove(id);
    return c.json({ deleted: id });
  });

  return api;
}

// A record with its data's fields inline. A call's step number (the data's own `seq`) is
// `step` here, so that `seq` stays the record's.
function logRecordJson(seq: number, type: string, createdAt: number, data: unknown) {
  const { seq: step, ...rest } = (data ?? {}) as { seq?: number };
  return { seq, type, t: iso(createdAt), ...(step === undefined ? {} : { step }), ...rest };
}

// A session as JSON with `waiting`: what it waits for, in words (null when it does not).
async function withWaiting(engine: Engine, s: Session) {
  return { ...sessionJson(s), waiting: await engine.manager.waiting(s) };
}
