// Slack: events, slash commands and interactions, over HTTP or Socket Mode.
import type { Integration } from "../types.ts";
import { callSlack } from "./api.ts";
import { mountSlackRoutes } from "./http.ts";
import { SocketMode } from "./socket-mode.ts";

export const slack: Integration = {
  name: "slack",
  events: true,
  connectionVars: [
    {
      name: "install_ids",
      secret: false,
      description: "<app_id>/<enterprise_id>/<team_id>: routes HTTP deliveries to this connection",
    },
    {
      name: "private_signing_secret",
      secret: true,
      description: "the app's signing secret (else SLACK_SIGNING_SECRET): verifies HTTP deliveries",
    },
    {
      name: "private_bot_token",
      secret: true,
      description: "bot token (xoxb-…) for Slack API calls",
    },
    {
      name: "oauth_access_token",
      secret: true,
      description: "OAuth token for Slack API calls (preferred to private_bot_token)",
    },
    {
      name: "private_app_token",
      secret: true,
      description: "app-level token (xapp-…): receive events over Socket Mode",
    },
  ],

  mount: mountSlackRoutes,

  async start(ctx) {
    const socketMode = new SocketMode(ctx);
    await socketMode.reload();
    return socketMode;
  },

  async test(conn, _ctx, service) {
    const link = service?.status?.(conn.id);
    const token = conn.vars.oauth_access_token || conn.vars.private_bot_token;
    if (!token) {
      const canReceive = conn.vars.private_signing_secret || process.env.SLACK_SIGNING_SECRET ||
        conn.vars.private_app_token;
      return {
        status: canReceive ? "warning" : "error",
        message: [
          "no private_bot_token or oauth_access_token: handlers cannot call Slack",
          link,
        ].filter(Boolean).join("; "),
      };
    }
    try {
      const who = await callSlack("auth.test", token);
      return {
        status: "ok",
        message: [`authenticated as ${who.user} in ${who.team}`, link].filter(Boolean).join("; "),
      };
    } catch (err) {
      return { status: "error", message: (err as Error).message };
    }
  },

  describe(conn, ctx): Record<string, string> {
    if (conn.vars.private_app_token) return { delivery: "socket mode" };
    const base = ctx.serviceUrl();
    return {
      event_url: `${base}/slack/event`,
      command_url: `${base}/slack/command`,
      interaction_url: `${base}/slack/interaction`,
    };
  },
};
