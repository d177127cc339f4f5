// GitHub: webhook deliveries from GitHub Apps and from PAT connections' webhooks.
import { connectionIdsOf } from "../../core/projects/connections.ts";
import { newSlug } from "../../core/util/ids.ts";
import { addVarIfMissing, varNamesIn } from "../../core/projects/vars.ts";
import type { ConnectionInfo, Integration, IntegrationContext, Service } from "../types.ts";
import { callGitHub, githubApiUrl } from "./api.ts";
import { installationToken } from "./app-auth.ts";
import { mountGitHubRoutes } from "./http.ts";

// A PAT connection with a webhook secret gets a random `pat_key` (unless it has one): the
// last part of its webhook URL, /github/webhook/<pat_key>.
class PatKeys implements Service {
  constructor(private readonly ctx: IntegrationContext) {}

  async reload(): Promise<void> {
    const { db } = this.ctx;
    const ids = await connectionIdsOf(db, "github");
    if (!ids.length) return;
    const rows = await varNamesIn(db, ids, ["pat_secret", "pat_key"]);
    for (const id of ids) {
      const has = (name: string) => rows.some((r) => r.scopeId === id && r.name === name);
      if (!has("pat_secret") || has("pat_key")) continue;
      await addVarIfMissing(db, id, "pat_key", newSlug());
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function test(conn: ConnectionInfo) {
  const v = conn.vars;
  const base = githubApiUrl(v);
  try {
    if (v.pat) {
      const user = await callGitHub(base, "GET", "/user", `token ${v.pat}`);
      return { status: "ok" as const, message: `authenticated as ${user.login}` };
    }
    if (v.app_id && v.install_id && v.private_key) {
      await installationToken(base, {
        appId: v.app_id,
        installId: v.install_id,
        privateKey: v.private_key,
      });
      return {
        status: "ok" as const,
        message: `app ${v.app_id}: got a token for installation ${v.install_id}`,
      };
    }
  } catch (err) {
    return { status: "error" as const, message: (err as Error).message };
  }
  return {
    status: "error" as const,
    message: "no credentials: set pat, or app_id, install_id and private_key",
  };
}

export const github: Integration = {
  name: "github",
  events: true,
  connectionVars: [
    { name: "pat", secret: true, description: "personal access token for GitHub API calls" },
    {
      name: "pat_secret",
      secret: true,
      description: "secret of the PAT connection's webhook: verifies its deliveries",
    },
    {
      name: "pat_key",
      secret: false,
      description: "the PAT webhook's id in /github/webhook/<pat_key> (generated when unset)",
    },
    { name: "app_id", secret: false, description: "GitHub App id" },
    { name: "install_id", secret: false, description: "the app's installation id" },
    {
      name: "private_key",
      secret: true,
      description: "the app's private key (PEM): signs the JWTs for installation tokens",
    },
    {
      name: "webhook_secret",
      secret: true,
      description: "the app's webhook secret (else client_secret, else GITHUB_WEBHOOK_SECRET)",
    },
    { name: "client_secret", secret: true, description: "the app's OAuth client secret" },
    {
      name: "enterprise_url",
      secret: false,
      description: "GitHub Enterprise Server URL (API at <enterprise_url>/api/v3)",
    },
  ],

  mount: mountGitHubRoutes,

  async start(ctx) {
    const keys = new PatKeys(ctx);
    await keys.reload();
    return keys;
  },

  test,

  describe(conn, ctx): Record<string, string> {
    const base = ctx.serviceUrl();
    if (conn.vars.pat_key) return { webhook_url: `${base}/github/webhook/${conn.vars.pat_key}` };
    if (conn.vars.app_id) return { webhook_url: `${base}/github/webhook` };
    return {};
  },
};
