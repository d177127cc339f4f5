// Jira: webhook deliveries to /jira/webhook (a webhook with a secret: X-Hub-Signature),
// routed by the site of the payload's `self` URLs. AutoKitteh's shape: the event type is
// `webhookEvent` without its "jira:" prefix ("issue_created", "comment_created", ...), the
// data the whole payload.
import { atlassianSource, atlassianVars } from "../atlassian/webhooks.ts";
import type { Integration } from "../types.ts";
import type { Payload, WebhookSource } from "../webhook-source.ts";

export function jiraEvents(payload: Payload) {
  const type = typeof payload.webhookEvent === "string" ? payload.webhookEvent : "";
  return type ? [{ eventType: type.replace(/^jira:/, ""), data: payload }] : [];
}

export const jiraWebhook: WebhookSource = {
  path: "/jira/webhook",
  maxBodyBytes: 8 << 20,
  ...atlassianSource("JIRA_WEBHOOK_SECRET"),
  toEvents: jiraEvents,
};

export const jira: Integration = {
  name: "jira",
  events: true,
  connectionVars: [
    ...atlassianVars,
    {
      name: "webhook_secret",
      secret: true,
      description: "the Jira webhook's secret (else JIRA_WEBHOOK_SECRET)",
    },
  ],
  webhooks: [jiraWebhook],
  describe: (_conn, ctx) => ({ webhook_url: `${ctx.serviceUrl()}/jira/webhook` }),
};
