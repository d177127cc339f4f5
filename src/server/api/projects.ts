// Projects, deployments and triggers.
import { Hono } from "hono";
import { listDeployments } from "../../core/projects/deployments.ts";
import { allProjects } from "../../core/projects/projects.ts";
import { parseSchedule } from "../../core/triggers/schedule-spec.ts";
import { listTriggers } from "../../core/triggers/lookup.ts";
import type { Engine } from "../engine.ts";
import { deploymentJson, iso } from "./json.ts";
import { optionalProject } from "./lookup.ts";

export function projectRoutes(engine: Engine): Hono {
  const api = new Hono();
  const { db } = engine;

  api.get("/projects", async (c) => {
    const rows = await allProjects(db);
    return c.json({
      projects: rows.map((p) => ({ project_id: p.id, name: p.name, display_name: p.displayName })),
    });
  });

  api.get("/deployments", async (c) => {
    const p = await optionalProject(engine, c.req.query("project"));
    const rows = await listDeployments(db, p?.id);
    return c.json({ deployments: rows.map(deploymentJson) });
  });

  api.get("/triggers", async (c) => {
    const p = await optionalProject(engine, c.req.query("project"));
    const rows = await listTriggers(db, p?.id);
    return c.json({
      triggers: rows.map((t) => ({
        trigger_id: t.id,
        project_id: t.projectId,
        name: t.name,
        source_type: t.sourceType,
        event_type: t.eventType,
        filter: t.filter,
        call: t.call,
        is_durable: t.isDurable,
        is_sync: t.isSync,
        schedule: t.schedule,
        timezone: t.timezone,
        last_tick_at: iso(t.lastTickAt),
        next_tick_at: nextTick(t.schedule, t.timezone),
        connection_id: t.connectionId,
        webhook_slug: t.webhookSlug,
        webhook_url: t.webhookSlug ? `${engine.serviceUrl()}/webhooks/${t.webhookSlug}` : null,
      })),
    });
  });

  return api;
}

function nextTick(schedule: string | null, timezone: string | null): string | null {
  if (!schedule) return null;
  try {
    return parseSchedule(schedule, timezone).next(new Date())?.toISOString() ?? null;
  } catch {
    return null;
  }
}
