// Dispatching events by hand, redispatching stored ones, and checking CEL filters.
import { Hono } from "hono";
import { z } from "zod";
import { connectionByName, withVars } from "../../core/projects/connections.ts";
import { integrationNamed } from "../../integrations/registry.ts";
import { dispatchRecorded } from "../../integrations/webhook-source.ts";
import { triggerByName } from "../../core/triggers/lookup.ts";
import type { Engine } from "../engine.ts";
import { jsonBody } from "./body.ts";
import { ApiError } from "./errors.ts";
import { projectByName } from "./lookup.ts";

// Missing fields are checked in the route, in the order of its errors.
const eventBody = z.object({
  project: z.string().optional(),
  trigger: z.string().optional(),
  connection: z.string().optional(),
  event_type: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  memo: z.record(z.string(), z.string()).optional(),
});

const filterBody = z.object({ filter: z.string() });

const recordedBody = z.object({
  project: z.string().optional(),
  connection: z.string().optional(),
  payload: z.record(z.string(), z.unknown()),
});

export function dispatchRoutes(engine: Engine): Hono {
  const api = new Hono();
  const { db } = engine;

  api.post("/events", async (c) => {
    const body = await jsonBody(c, eventBody);
    const p = await projectByName(engine, body.project);
    if (!body.trigger === !body.connection) {
      throw new ApiError(400, "give exactly one of trigger, connection");
    }
    const destination = body.trigger
      ? await triggerByName(db, p.id, body.trigger)
      : await connectionByName(db, p.id, body.connection!);
    if (!destination) {
      throw new ApiError(
        404,
        `${body.trigger ? "trigger" : "connection"} "${body.trigger ?? body.connection}" not found`,
      );
    }
    if (!body.event_type) throw new ApiError(400, "event_type: required");
    const { event, dispatched } = await engine.dispatcher.receive({
      projectId: p.id,
      destinationId: destination.id,
      eventType: body.event_type,
      data: body.data ?? {},
      memo: body.memo,
    });
    return c.json({ event_id: event.id, session_ids: dispatched.sessionIds });
  });

  api.post("/events/:id/redispatch", async (c) => {
    const original = await engine.events.get(c.req.param("id"));
    if (!original) throw new ApiError(404, `event "${c.req.param("id")}" not found`);
    const { event, dispatched } = await engine.dispatcher.receive({
      projectId: original.projectId,
      destinationId: original.destinationId,
      eventType: original.eventType,
      data: original.data as Record<string, unknown>,
      memo: { ...(original.memo as Record<string, string>), redispatch_of: original.id },
    });
    return c.json({ event_id: event.id, session_ids: dispatched.sessionIds });
  });

  // A recorded provider payload through its integration's toEvents, unverified.
  api.post("/integrations/:name/events", async (c) => {
    const name = c.req.param("name");
    const source = integrationNamed(name)?.webhooks?.[0];
    if (!source) throw new ApiError(404, `integration "${name}" has no webhook source`);
    const body = await jsonBody(c, recordedBody);
    let to;
    if (body.connection) {
      const p = await projectByName(engine, body.project);
      const conn = await connectionByName(db, p.id, body.connection);
      if (!conn) throw new ApiError(404, `connection "${body.connection}" not found`);
      if (conn.integration !== name) {
        throw new ApiError(
          400,
          `connection "${body.connection}" is of integration "${conn.integration}"`,
        );
      }
      to = await withVars(db, engine.box, [conn]);
    }
    const dispatched = await dispatchRecorded(
      engine.integrations.ctx,
      name,
      source,
      body.payload,
      to,
    );
    if (!dispatched.length) {
      throw new ApiError(400, "the payload made no event for any connection");
    }
    return c.json({ events: dispatched });
  });

  api.post("/filters/verify", async (c) => {
    const body = await jsonBody(c, filterBody);
    const error = (await import("../../core/triggers/cel.ts")).checkFilter(body.filter);
    if (error) throw new ApiError(400, error);
    return c.json({ ok: true });
  });

  return api;
}
