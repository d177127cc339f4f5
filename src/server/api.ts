// The JSON management API under /api, which the CLI uses.
import { and, desc, eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { BuildError, type BuildFiles, checkBuildFiles, encodeFiles } from "../core/builds.ts";
import { connections, deployments, projects, triggers, vars } from "../core/db/schema.ts";
import { deploy, planManifest } from "../core/deploy.ts";
import { ManifestError, parseManifest } from "../core/manifest.ts";
import { MASK } from "../core/secrets.ts";
import { type Session, SESSION_STATES } from "../core/sessions.ts";
import type { SessionState } from "../core/db/schema.ts";
import { scanExports, SyntaxCheckError } from "../pythonrt/exports.ts";
import type { Engine } from "./engine.ts";
import { VERSION } from "../version.ts";

export class ApiError extends Error {
  constructor(readonly status: 400 | 401 | 404 | 409 | 413, message: string) {
    super(message);
  }
}

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

export function sessionJson(s: Session) {
  return {
    session_id: s.id,
    project_id: s.projectId,
    deployment_id: s.deploymentId,
    build_id: s.buildId,
    event_id: s.eventId,
    parent_session_id: s.parentId,
    entrypoint: s.entrypoint,
    durable: s.isDurable,
    state: s.state,
    error: s.error,
    return_value: s.returnDisplay,
    created_at: iso(s.createdAt),
    started_at: iso(s.startedAt),
    ended_at: iso(s.endedAt),
    updated_at: iso(s.updatedAt),
  };
}

export function apiRoutes(engine: Engine): Hono {
  const api = new Hono();
  const { db } = engine;

  const projectByName = async (name: string | undefined) => {
    if (!name) throw new ApiError(400, "project is required");
    const p = await db.query.projects.findFirst({
      where: name.startsWith("prj_") ? eq(projects.id, name) : eq(projects.name, name),
    });
    if (!p) throw new ApiError(404, `project "${name}" not found`);
    return p;
  };
  const optionalProject = async (
    name: string | undefined,
  ) => (name ? await projectByName(name) : undefined);

  // A session id, or a project name meaning that project's latest session.
  const sessionByRef = async (ref: string) => {
    const s = ref.startsWith("ses_")
      ? await engine.sessions.get(ref)
      : await engine.sessions.latest((await projectByName(ref)).id);
    if (!s) {
      throw new ApiError(
        404,
        ref.startsWith("ses_") ? `session "${ref}" not found` : `project "${ref}" has no sessions`,
      );
    }
    return s;
  };

  api.get("/version", (c) => c.json({ version: VERSION, runtime: engine.runtime }));

  api.post(
    "/deploy",
    bodyLimit({ maxSize: 96 << 20, onError: (c) => c.json({ error: "upload too large" }, 413) }),
    async (c) => {
      const body = await c.req.json<
        { manifest?: string; files?: Record<string, string>; project_name?: string }
      >();
      const manifest = parseBody(body.manifest);
      if (body.project_name) manifest.project.name = body.project_name;
      const files: BuildFiles = {};
      for (const [name, b64] of Object.entries(body.files ?? {})) {
        files[name] = Buffer.from(
          b64,
          "base64",
        );
      }
      try {
        checkBuildFiles(files);
      } catch (err) {
        if (err instanceof BuildError) throw new ApiError(400, err.message);
        throw err;
      }
      for (const [i, t] of manifest.project.triggers.entries()) {
        const file = t.call?.split(":")[0];
        if (file && !(file in files)) {
          throw new ApiError(
            400,
            `project.triggers[${i}].call: file "${file}" is not in the project's files`,
          );
        }
      }
      let exports;
      try {
        exports = await scanExports(engine.python, files);
      } catch (err) {
        if (err instanceof SyntaxCheckError) throw new ApiError(400, err.message);
        throw err;
      }
      const result = await deploy(db, engine.box, { manifest, files: encodeFiles(files), exports });
      return c.json(result);
    },
  );

  api.post("/manifest/plan", async (c) => {
    const body = await c.req.json<{ manifest?: string }>();
    const plan = await planManifest(db, engine.box, parseBody(body.manifest));
    return c.json({ lines: plan.lines, actions: plan.actions.map((a) => a.kind) });
  });

  api.get("/projects", async (c) => {
    const rows = await db.select().from(projects).orderBy(projects.name);
    return c.json({
      projects: rows.map((p) => ({ project_id: p.id, name: p.name, display_name: p.displayName })),
    });
  });

  api.get("/deployments", async (c) => {
    const p = await optionalProject(c.req.query("project"));
    const rows = await db.select().from(deployments).where(
      p ? eq(deployments.projectId, p.id) : undefined,
    )
      .orderBy(desc(deployments.createdAt));
    return c.json({
      deployments: rows.map((d) => ({
        deployment_id: d.id,
        project_id: d.projectId,
        build_id: d.buildId,
        state: d.state,
        created_at: iso(d.createdAt),
        updated_at: iso(d.updatedAt),
      })),
    });
  });

  api.get("/triggers", async (c) => {
    const p = await optionalProject(c.req.query("project"));
    const rows = await db.select().from(triggers).where(
      p ? eq(triggers.projectId, p.id) : undefined,
    )
      .orderBy(triggers.name);
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
        webhook_slug: t.webhookSlug,
        webhook_url: t.webhookSlug ? `${engine.serviceUrl()}/webhooks/${t.webhookSlug}` : null,
      })),
    });
  });

  api.get("/sessions", async (c) => {
    const p = await optionalProject(c.req.query("project"));
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
    return c.json({ sessions: rows.map(sessionJson) });
  });

  api.get(
    "/sessions/:ref",
    async (c) => c.json({ session: sessionJson(await sessionByRef(c.req.param("ref"))) }),
  );

  api.get("/sessions/:ref/prints", async (c) => {
    const s = await sessionByRef(c.req.param("ref"));
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
    const s = await sessionByRef(c.req.param("ref"));
    const after = c.req.query("after");
    const records = await engine.sessions.logs(s.id, { after: after ? Number(after) : undefined });
    return c.json({
      session_id: s.id,
      state: s.state,
      records: records.map((r) => ({
        seq: r.seq,
        type: r.type,
        t: iso(r.createdAt),
        ...(r.data as object),
      })),
    });
  });

  // Vars of a project, or of one of its connections.
  const scopeOf = async (c: Context) => {
    const p = await projectByName(c.req.query("project"));
    const conn = c.req.query("connection");
    if (!conn) return { scopeId: p.id, label: p.name };
    const row = await db.query.connections.findFirst({
      where: and(eq(connections.projectId, p.id), eq(connections.name, conn)),
    });
    if (!row) throw new ApiError(404, `connection "${conn}" not found in project "${p.name}"`);
    return { scopeId: row.id, label: `${p.name}/${conn}` };
  };

  api.get("/vars", async (c) => {
    const { scopeId } = await scopeOf(c);
    const reveal = c.req.query("reveal") === "true";
    const names = c.req.queries("name");
    const rows = await db.select().from(vars).where(eq(vars.scopeId, scopeId)).orderBy(vars.name);
    return c.json({
      vars: rows.filter((v) => !names?.length || names.includes(v.name)).map((v) => ({
        name: v.name,
        value: v.isSecret ? (reveal ? engine.box.open(v.value) : MASK) : v.value,
        secret: v.isSecret,
        description: v.description,
      })),
    });
  });

  api.put("/vars", async (c) => {
    const { scopeId } = await scopeOf(c);
    const body = await c.req.json<
      { name?: string; value?: string; secret?: boolean; description?: string }
    >();
    if (!body.name || !/^\w+$/.test(body.name)) {
      throw new ApiError(400, "name: must be letters, digits and underscores only");
    }
    if (typeof body.value !== "string") throw new ApiError(400, "value: required");
    const t = Date.now();
    const row = {
      scopeId,
      name: body.name,
      value: body.secret ? engine.box.seal(body.value) : body.value,
      isSecret: !!body.secret,
      description: body.description,
      createdAt: t,
      updatedAt: t,
    };
    await db.insert(vars).values(row).onConflictDoUpdate({
      target: [vars.scopeId, vars.name],
      set: { value: row.value, isSecret: row.isSecret, description: row.description, updatedAt: t },
    });
    return c.json({ name: body.name, secret: row.isSecret });
  });

  api.delete("/vars", async (c) => {
    const { scopeId } = await scopeOf(c);
    const name = c.req.query("name");
    if (!name) throw new ApiError(400, "name: required");
    const deleted = await db.delete(vars).where(and(eq(vars.scopeId, scopeId), eq(vars.name, name)))
      .returning();
    if (!deleted.length) throw new ApiError(404, `var "${name}" not found`);
    return c.json({ deleted: name });
  });

  api.get("/events", async (c) => {
    const p = await optionalProject(c.req.query("project"));
    const rows = await engine.events.list({ projectId: p?.id, eventType: c.req.query("type") });
    return c.json({ events: rows.map(eventJson) });
  });

  api.get("/events/:id", async (c) => {
    const e = await engine.events.get(c.req.param("id"));
    if (!e) throw new ApiError(404, `event "${c.req.param("id")}" not found`);
    return c.json({ event: eventJson(e) });
  });

  return api;
}

function eventJson(
  e: {
    id: string;
    seq: number;
    destinationId: string;
    eventType: string;
    data: unknown;
    memo: unknown;
    createdAt: number;
  },
) {
  return {
    event_id: e.id,
    seq: e.seq,
    destination_id: e.destinationId,
    event_type: e.eventType,
    data: e.data,
    memo: e.memo,
    created_at: iso(e.createdAt),
  };
}

function parseBody(text: string | undefined) {
  if (typeof text !== "string") throw new ApiError(400, "manifest: required");
  try {
    return parseManifest(text);
  } catch (err) {
    if (err instanceof ManifestError) throw new ApiError(400, err.message);
    throw err;
  }
}
