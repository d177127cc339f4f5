// The environment a session's handler sees (AutoKitteh §1.3): the daemon's environment,
// then project vars, `<conn>__<var>`, `<conn>__connection_id`, `<trigger>__webhook_url`
// and `store_public_url`.
import { and, eq, inArray } from "drizzle-orm";
import { configCache } from "./config-cache.ts";
import type { Db } from "../db/client.ts";
import { connections, triggers, vars } from "../db/schema.ts";
import type { SecretBox } from "./secrets.ts";

// The opened values of the project's secret vars and of its connections' (cached: see
// config-cache.ts).
export function secretValues(db: Db, box: SecretBox, projectId: string): Promise<string[]> {
  return configCache(db).get(`secrets:${projectId}`, () => loadSecretValues(db, box, projectId));
}

async function loadSecretValues(db: Db, box: SecretBox, projectId: string): Promise<string[]> {
  const conns = await db.select({ id: connections.id }).from(connections)
    .where(eq(connections.projectId, projectId));
  const rows = await db.select().from(vars).where(and(
    inArray(vars.scopeId, [projectId, ...conns.map((c) => c.id)]),
    eq(vars.isSecret, true),
  ));
  return rows.map((v) => box.open(v.value));
}

// The daemon's own settings and secrets are never handed to session code: every POUNCE_*
// variable (the API token, the secrets key, the data dir...) but the API URLs the py-sdk
// reads, the daemon-wide secrets integrations fall back on (src/integrations/*/http.ts), and
// OAuth apps' client secrets (<PROVIDER>_CLIENT_SECRET: src/integrations/oauth/providers.ts).
const DAEMON_SECRETS = new Set(["SLACK_SIGNING_SECRET", "GITHUB_WEBHOOK_SECRET"]);
const SDK_SETTINGS = new Set(["POUNCE_SLACK_API_URL", "POUNCE_GITHUB_API_URL"]);

export function isDaemonOnly(name: string): boolean {
  return DAEMON_SECRETS.has(name) || name.endsWith("_CLIENT_SECRET") ||
    (name.startsWith("POUNCE_") && !SDK_SETTINGS.has(name));
}

// The daemon's environment as sessions see it, read once (the daemon never changes it;
// reading process.env costs a call into the runtime per variable).
let ownEnv: Record<string, string> | undefined;
function daemonEnv(): Record<string, string> {
  if (ownEnv) return ownEnv;
  ownEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !isDaemonOnly(k)) ownEnv[k] = v;
  }
  return ownEnv;
}

// Shared while the config is unchanged: callers must not modify it.
export function sessionEnv(
  db: Db,
  box: SecretBox,
  projectId: string,
  serviceUrl: string,
): Promise<Record<string, string>> {
  return configCache(db).get(
    `env:${projectId}:${serviceUrl}`,
    async () => ({ ...daemonEnv(), ...await projectEnv(db, box, projectId, serviceUrl) }),
  );
}

// The project's part of sessionEnv.
async function projectEnv(
  db: Db,
  box: SecretBox,
  projectId: string,
  serviceUrl: string,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const value = (v: typeof vars.$inferSelect) => (v.isSecret ? box.open(v.value) : v.value);
  for (const v of await db.select().from(vars).where(eq(vars.scopeId, projectId))) {
    env[v.name] = value(v);
  }
  for (const c of await db.select().from(connections).where(eq(connections.projectId, projectId))) {
    env[`${c.name}__connection_id`] = c.id;
    for (const v of await db.select().from(vars).where(eq(vars.scopeId, c.id))) {
      env[`${c.name}__${v.name}`] = value(v);
    }
  }
  for (const t of await db.select().from(triggers).where(eq(triggers.projectId, projectId))) {
    if (t.webhookSlug) env[`${t.name}__webhook_url`] = `${serviceUrl}/webhooks/${t.webhookSlug}`;
  }
  env.store_public_url = `${serviceUrl}/store/${projectId}`;
  return env;
}
