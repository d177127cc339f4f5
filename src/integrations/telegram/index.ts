// Telegram bots: updates pushed to /telegram/webhook/<BotID> (set with Telegram's
// setWebhook, its `secret_token` the connection's SecretToken). Telegram signs nothing: it
// sends the secret token back in X-Telegram-Bot-Api-Secret-Token, over TLS.
import { sameText } from "../hmac.ts";
import type { Integration } from "../types.ts";
import type { Payload, WebhookSource } from "../webhook-source.ts";

// The update kinds, in AutoKitteh's order: an update's event type is the first it holds,
// and its data the whole update.
export const UPDATE_TYPES = [
  "message",
  "callback_query",
  "edited_message",
  "inline_query",
  "chosen_inline_result",
  "channel_post",
  "edited_channel_post",
  "shipping_query",
  "pre_checkout_query",
  "poll",
  "poll_answer",
  "my_chat_member",
  "chat_member",
  "chat_join_request",
  "message_reaction",
  "message_reaction_count",
];

const HEADER = "x-telegram-bot-api-secret-token";

export function telegramEvents(update: Payload) {
  const type = UPDATE_TYPES.find((t) => t in update);
  return type ? [{ eventType: type, data: update }] : [];
}

export const telegramWebhook: WebhookSource = {
  path: "/telegram/webhook/:bot_id",
  checkHeaders: (headers) =>
    headers.get(HEADER)
      ? undefined
      : { status: 401, error: "missing X-Telegram-Bot-Api-Secret-Token" },
  candidate: (conn, head) => conn.vars.BotID === head.params.bot_id,
  secret: (conn) => conn.vars.SecretToken || undefined,
  verify: (d, secret) => sameText(d.headers.get(HEADER) ?? "", secret),
  checkPayload: (p) =>
    Number.isSafeInteger(p.update_id) ? undefined : { status: 400, error: "no update_id" },
  // Telegram resends an update (same update_id) until it is acknowledged, for up to 24 hours.
  replayKey: (d, p) => `${d.params.bot_id}:${p.update_id}`,
  keepMs: 48 * 3600_000,
  toEvents: telegramEvents,
};

export const telegram: Integration = {
  name: "telegram",
  events: true,
  connectionVars: [
    { name: "BotToken", secret: true, description: "the bot's token from @BotFather" },
    {
      name: "SecretToken",
      secret: true,
      description: "the setWebhook secret_token: Telegram sends it with every update",
    },
    { name: "BotID", secret: false, description: "the bot's user id: the webhook URL's last part" },
  ],
  webhooks: [telegramWebhook],
  describe(conn, ctx): Record<string, string> {
    if (!conn.vars.BotID) return {};
    return { webhook_url: `${ctx.serviceUrl()}/telegram/webhook/${conn.vars.BotID}` };
  },
};
