// Confluence: webhook deliveries to /confluence/webhook/<category> (AutoKitteh registers
// one webhook per category: created, updated, removed, ...), signed with the webhook's
// secret (X-Hub-Signature) and routed by the site of the payload's `self` URLs. The event
// type is the payload's own (`webhookEvent` or `event`) when it names one, else
// "<object>_<category>" ("page_created", "comment_updated", ...); the data the payload.
import { atlassianSource, atlassianVars } from "../atlassian/webhooks.ts";
import type { Integration } from "../types.ts";
import type { DeliveryHead, Payload, WebhookSource } from "../webhook-source.ts";

export const CATEGORIES = [
  "added",
  "archived",
  "copied",
  "created",
  "deleted",
  "moved",
  "removed",
  "trashed",
  "updated",
];
const OBJECTS = [
  "page",
  "blog",
  "comment",
  "attachment",
  "label",
  "space",
  "content",
  "group",
  "relation",
  "user",
];

export function confluenceEvents(payload: Payload, head?: DeliveryHead) {
  const named = [payload.webhookEvent, payload.event].find((v) => typeof v === "string");
  if (named) return [{ eventType: named as string, data: payload }];
  const category = head?.params.category ?? "";
  const object = OBJECTS.find((o) => o in payload);
  if (!CATEGORIES.includes(category) || !object) return [];
  return [{ eventType: `${object}_${category}`, data: payload }];
}

export const confluenceWebhook: WebhookSource = {
  path: "/confluence/webhook/:category",
  maxBodyBytes: 8 << 20,
  ...atlassianSource("CONFLUENCE_WEBHOOK_SECRET"),
  toEvents: confluenceEvents,
};

export const confluence: Integration = {
  name: "confluence",
  events: true,
  connectionVars: [
    ...atlassianVars,
    {
      name: "webhook_secret",
      secret: true,
      description: "the Confluence webhooks' secret (else CONFLUENCE_WEBHOOK_SECRET)",
    },
  ],
  webhooks: [confluenceWebhook],
  describe: (_conn, ctx) => ({
    webhook_url: `${ctx.serviceUrl()}/confluence/webhook/<category: ${CATEGORIES.join("|")}>`,
  }),
};
