// Connections: list, get (secret vars masked unless revealed), set credentials, start an
// OAuth consent flow, and test.
import { type Context, Hono } from "hono";
import { z } from "zod";
import {
  type Connection,
  connectionById,
  connectionByName,
  listConnections,
  withVars,
} from "../../core/projects/connections.ts";
import { projectById } from "../../core/projects/projects.ts";
import { MASK } from "../../core/projects/secrets.ts";
import { setVars, varsOf } from "../../core/projects/vars.ts";
import { OAuthError } from "../../integrations/oauth/client.ts";
import { oauthIntegration } from "../../integrations/oauth/providers.ts";
import { parseExpiry, TOKEN_VARS } from "../../integrations/oauth/tokens.ts";
import { connectionVarsOf } from "../../integrations/registry.ts";
import { jsonBody } from "./body.ts";
import type { Engine } from "../engine.ts";
import { ApiError } from "./errors.ts";
import { iso } from "./json.ts";
import { optionalProject, projectByName } from "./lookup.ts";

// A connection id, "<project>/<name>", or a name with the project given separately.
export async function connectionByRef(
  engine: Engine,
  ref: string,
  project?: string,
): Promise<Connection> {
  let row: Connection | undefined;
  if (ref.startsWith("con_")) {
    row = await connectionById(engine.db, ref);
  } else {
    const slash = ref.indexOf("/");
    const p = await projectByName(engine, slash < 0 ? project : ref.slice(0, slash));
    const name = slash < 0 ? ref : ref.slice(slash + 1);
    row = await connectionByName(engine.db, p.id, name);
  }
  if (!row) throw new ApiError(404, `connection "${ref}" not found`);
  return row;
}

const setBody = z.object({
  vars: z.record(z.string(), z.string()).refine((v) => Object.keys(v).length > 0, {
    message: "give at least one var",
  }),
});

// An OAuth failure as the API's error.
async function orApiError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    // (Starting a flow asks no provider: no 502.)
    if (err instanceof OAuthError) {
      throw new ApiError(err.status === 502 ? 400 : err.status, err.message);
    }
    throw err;
  }
}

export function connectionRoutes(engine: Engine): Hono {
  const api = new Hono();
  const { db } = engine;

  const summary = (c: Connection, projectName: string) => ({
    connection_id: c.id,
    name: c.name,
    integration: c.integration,
    project_id: c.projectId,
    project: projectName,
    status: engine.integrations.status(c) ?? null,
    created_at: iso(c.createdAt),
  });

  const projectName = async (id: string) => (await projectById(db, id))?.name ?? "";

  const byParam = (c: Context) =>
    connectionByRef(engine, c.req.param("ref")!, c.req.query("project"));

  api.get("/connections", async (c) => {
    const p = await optionalProject(engine, c.req.query("project"));
    const integration = c.req.query("integration");
    const rows = await listConnections(db, { projectId: p?.id, integration });
    return c.json({ connections: rows.map((r) => summary(r.connection, r.project)) });
  });

  // What OAuth looks like for a connection (undefined: its integration has no OAuth flow).
  const oauthOf = (row: Connection, values: Record<string, string>) => {
    const cfg = oauthIntegration(row.integration);
    if (!cfg) return undefined;
    const expiry = parseExpiry(values[TOKEN_VARS.expiry]);
    const refresh = engine.oauth.status(row.id);
    return {
      provider: cfg.provider.name,
      redirect_url: engine.oauth.redirectUrl(cfg),
      client_env: [cfg.clientIdEnv, cfg.clientSecretEnv],
      app_configured: !!(process.env[cfg.clientIdEnv] && process.env[cfg.clientSecretEnv]),
      authorized: !!values[TOKEN_VARS.access],
      refreshable: !!values[TOKEN_VARS.refresh],
      expires_at: values[TOKEN_VARS.access] ? iso(expiry) : null,
      expired: expiry !== null && expiry <= Date.now(),
      refresh: refresh ?? null,
    };
  };

  api.get("/connections/:ref", async (c) => {
    const row = await byParam(c);
    const reveal = c.req.query("reveal") === "true";
    const stored = await varsOf(db, row.id);
    const [info] = await withVars(db, engine.box, [row]);
    return c.json({
      connection: {
        ...summary(row, await projectName(row.projectId)),
        vars: stored.map((v) => ({
          name: v.name,
          value: v.isSecret ? (reveal ? engine.box.open(v.value) : MASK) : v.value,
          secret: v.isSecret,
          description: v.description,
        })),
        // What handlers find in their environment.
        env: [
          `${row.name}__connection_id`,
          ...stored.map((v) => `${row.name}__${v.name}`),
        ],
        info: engine.integrations.describe(info),
        known_vars: connectionVarsOf(row.integration),
        oauth: oauthOf(row, info.vars) ?? null,
      },
    });
  });

  // Credentials from the user: a var its integration declares secret is always encrypted,
  // and so is any var it does not know (set anyway, with a warning naming the known ones).
  api.put("/connections/:ref/vars", async (c) => {
    const row = await byParam(c);
    const body = await jsonBody(c, setBody);
    const known = connectionVarsOf(row.integration);
    const warnings: string[] = [];
    const list = Object.entries(body.vars).map(([name, value]) => {
      if (!/^\w+$/.test(name)) {
        throw new ApiError(400, `vars.${name}: a name is letters, digits and underscores only`);
      }
      const spec = known.find((k) => k.name === name);
      if (!spec && known.length) {
        warnings.push(
          `"${name}" is not a var integration "${row.integration}" knows (known: ${
            known.map((k) => k.name).join(", ")
          }); set anyway, encrypted`,
        );
      }
      return { name, value, secret: spec ? spec.secret : true };
    });
    await setVars(db, engine.box, row.id, list);
    await engine.integrations.reload();
    return c.json({
      connection_id: row.id,
      name: row.name,
      set: list.map((v) => ({ name: v.name, secret: v.secret })),
      warnings,
    });
  });

  // Starts an OAuth consent flow: the URL to open; the provider then redirects to
  // /oauth/redirect/<app> on this daemon.
  api.post("/connections/:ref/oauth/init", async (c) => {
    const row = await byParam(c);
    const start = await orApiError(() => engine.oauth.begin(row));
    return c.json({ connection_id: row.id, name: row.name, ...start });
  });

  api.post("/connections/:ref/test", async (c) => {
    const row = await byParam(c);
    const [info] = await withVars(db, engine.box, [row]);
    const oauth = oauthOf(row, info.vars);
    const result = oauth?.authorized ? oauthTest(oauth) : await engine.integrations.test(info);
    // What is set, never a value.
    const set = (await varsOf(db, row.id)).map((v) => ({ name: v.name, secret: v.isSecret }));
    return c.json({ connection_id: row.id, name: row.name, ...result, set });
  });

  return api;
}

// An authorized OAuth connection: its token's state, as far as Pounce knows it.
function oauthTest(o: {
  expires_at: string | null;
  expired: boolean;
  refresh: { state: string; last_error?: string } | null;
}): { status: "ok" | "warning" | "error"; message: string } {
  if (o.refresh?.state === "failed") {
    return {
      status: o.expired ? "error" : "warning",
      message: `OAuth token refresh failed: ${o.refresh.last_error}`,
    };
  }
  if (o.expired) return { status: "error", message: `OAuth token expired at ${o.expires_at}` };
  return {
    status: "ok",
    message: o.expires_at ? `OAuth token valid until ${o.expires_at}` : "OAuth token (no expiry)",
  };
}
