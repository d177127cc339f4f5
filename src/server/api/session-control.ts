// Starting, stopping and restarting sessions by hand.
import { Hono } from "hono";
import { z } from "zod";
import { activeDeployment, deploymentById } from "../../core/projects/deployments.ts";
import { isFinal, newSessionRow } from "../../core/sessions/rows.ts";
import { RetryRefused } from "../../core/sessions/manager.ts";
import type { Engine } from "../engine.ts";
import { jsonBody } from "./body.ts";
import { ApiError } from "./errors.ts";
import { projectByName, sessionByRef } from "./lookup.ts";
import { canonicalEntrypoint } from "../../core/projects/entrypoint.ts";

const ENTRYPOINT = /^[\w./-]+\.py(:| )\w+$/;

const startBody = z.object({
  project: z.string().optional(),
  deployment: z.string().optional(),
  entrypoint: z.string().optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
  durable: z.boolean().optional(),
});

const stopBody = z.object({ reason: z.string().optional(), force: z.boolean().optional() });

export function sessionControlRoutes(engine: Engine): Hono {
  const api = new Hono();
  const { db } = engine;

  api.post("/sessions", async (c) => {
    const body = await jsonBody(c, startBody);
    if (!body.entrypoint || !ENTRYPOINT.test(body.entrypoint)) {
      throw new ApiError(400, 'entrypoint: must look like "file.py:function"');
    }
    let deployment;
    if (body.deployment) {
      deployment = await deploymentById(db, body.deployment);
      if (!deployment) throw new ApiError(404, `deployment "${body.deployment}" not found`);
    } else {
      const p = await projectByName(engine, body.project);
      deployment = await activeDeployment(db, p.id);
      if (!deployment) throw new ApiError(404, `project "${p.name}" has no active deployment`);
    }
    const row = newSessionRow({
      projectId: deployment.projectId,
      deploymentId: deployment.id,
      buildId: deployment.buildId,
      entrypoint: canonicalEntrypoint(body.entrypoint),
      inputs: body.inputs ?? {},
      memo: {},
      isDurable: !!body.durable,
    });
    await engine.sessions.add(row);
    engine.manager.start(row.id!);
    return c.json({ session_id: row.id });
  });

  api.post("/sessions/:ref/stop", async (c) => {
    const s = await sessionByRef(engine, c.req.param("ref"));
    const body = await jsonBody(c, stopBody, { optional: true });
    const ended = (state?: string) =>
      new ApiError(409, `session "${s.id}" already ended (${state ?? "deleted"})`);
    if (isFinal(s.state)) throw ended(s.state);
    const reason = `${body.force ? "[forced] " : ""}${body.reason || "stopped by user"}`;
    // The node that holds the session logs the request (manager.ts, stop).
    if (!(await engine.manager.stop(s.id, reason))) {
      throw ended((await engine.sessions.get(s.id))?.state);
    }
    return c.json({ session_id: s.id, reason });
  });

  api.post("/sessions/:ref/restart", async (c) => {
    const s = await sessionByRef(engine, c.req.param("ref"));
    const row = newSessionRow({
      projectId: s.projectId,
      deploymentId: s.deploymentId,
      buildId: s.buildId,
      eventId: s.eventId,
      triggerId: s.triggerId,
      entrypoint: s.entrypoint,
      inputs: s.inputs,
      memo: { ...(s.memo as Record<string, string>), restarted_from: s.id },
      isDurable: s.isDurable,
    });
    await engine.sessions.add(row);
    engine.manager.start(row.id!);
    return c.json({ session_id: row.id });
  });

  // Runs a durable session that failed in an activity again from that step.
  api.post("/sessions/:ref/retry", async (c) => {
    const s = await sessionByRef(engine, c.req.param("ref"));
    try {
      const { step, activity } = await engine.manager.retry(s.id);
      return c.json({ session_id: s.id, step, activity });
    } catch (err) {
      if (err instanceof RetryRefused) throw new ApiError(409, err.message);
      throw err;
    }
  });

  return api;
}
