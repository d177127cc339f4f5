// Discord: message, reaction, presence and thread events over the bot gateway.
import type { Integration } from "../types.ts";
import { callDiscord } from "./api.ts";
import { Gateways } from "./gateways.ts";

export const discord: Integration = {
  name: "discord",
  events: true,
  connectionVars: [
    {
      name: "BotToken",
      secret: true,
      description: "the bot's token: the gateway link and Discord API calls",
    },
    {
      name: "BotID",
      secret: false,
      description: "the bot's user id (optional; its own events are dropped either way)",
    },
    {
      name: "intents",
      secret: false,
      description: "gateway intents bitmask (default 3276799, all, as AutoKitteh)",
    },
  ],

  async start(ctx) {
    const gateways = new Gateways(ctx);
    await gateways.reload();
    return gateways;
  },

  async test(conn, _ctx, service) {
    const link = service?.status?.(conn.id);
    const token = conn.vars.BotToken;
    if (!token) return { status: "error", message: "no BotToken: the connection receives nothing" };
    try {
      const me = await callDiscord("users/@me", token);
      return {
        status: link?.includes("failed") ? "error" : "ok",
        message: [`authenticated as ${me.username} (${me.id})`, link].filter(Boolean).join("; "),
      };
    } catch (err) {
      return {
        status: "error",
        message: [(err as Error).message, link].filter(Boolean).join("; "),
      };
    }
  },

  describe(conn): Record<string, string> {
    return conn.vars.BotToken ? { delivery: "gateway (outbound WebSocket)" } : {};
  },
};
