// Webhook triggers: any method on /webhooks/<slug>[/<suffix>] stores an event whose
// type is the lowercased method and dispatches it.
import type { Context } from "hono";
import { declaredBodyLimit } from "../../server/body-limit.ts";
import { nodeIncoming } from "../../server/node-request.ts";
import { activeDeployments } from "../../core/projects/deployments.ts";
import { delay } from "../../core/util/faults.ts";
import { webhookTrigger } from "../../core/triggers/lookup.ts";
import { eventReceived } from "../../observability/metrics.ts";
import type { Integration, IntegrationContext } from "../types.ts";
import { webhookEventData } from "./event-data.ts";
import { RateLimiter } from "./rate.ts";
import { syncResponse, watchOutcomes } from "./sync.ts";

export const webhook: Integration = {
  name: "webhook",
  events: true,
  mount(app, ctx) {
    const limit = declaredBodyLimit({
      maxSize: ctx.limits.webhookBodyBytes,
      // The rest of the body is not read: the connection cannot be reused.
      onError: (c) =>
        c.json({ error: `body larger than ${ctx.limits.webhookBodyBytes} bytes` }, 413, {
          Connection: "close",
        }),
    });
    const rate = ctx.limits.webhookRate > 0 ? new RateLimiter(ctx.limits.webhookRate) : undefined;
    const handle = (c: Context) => receive(c, ctx, rate);
    app.all("/webhooks/:slug", limit, handle);
    app.all("/webhooks/:slug/*", limit, handle);
  },
};

async function receive(
  c: Context,
  ctx: IntegrationContext,
  rate: RateLimiter | undefined,
): Promise<Response> {
  const slug = c.req.param("slug")!;
  const trigger = await webhookTrigger(ctx.db, slug);
  if (!trigger) return c.json({ error: "not found" }, 404);
  if (!(await activeDeployments(ctx.db, trigger.projectId)).length) {
    return c.json({ error: "not found" }, 404);
  }
  const allowed = rate?.take(slug) ?? true;
  if (allowed !== true) {
    return c.json({ error: `rate limit: more than ${rate!.perSecond} requests per second` }, 429, {
      "Retry-After": String(allowed),
    });
  }

  const body = new Uint8Array(await c.req.arrayBuffer());
  const prefix = `/webhooks/${slug}`;
  const url = new URL(c.req.url);
  const path = url.pathname;
  const suffix = path.length > prefix.length ? path.slice(prefix.length + 1) : "";
  const { data, refused } = webhookEventData(
    c.req.raw,
    body,
    suffix,
    nodeIncoming(c)?.rawHeaders,
    url,
  );
  const incoming = {
    projectId: trigger.projectId,
    destinationId: trigger.id,
    eventType: c.req.method.toLowerCase(),
    data,
    memo: { method: c.req.method, webhook_slug: slug, trigger_id: trigger.id },
  };
  if (refused) {
    const kept = await ctx.events.keep(incoming);
    eventReceived("webhook", "refused");
    return c.json({ error: `${refused}; the event is kept, not run`, event_id: kept.id }, 400, {
      "AutoKitteh-Event-ID": kept.id,
    });
  }
  const early = trigger.isSync ? watchOutcomes(ctx.bus) : undefined;
  let received;
  try {
    received = await ctx.dispatcher.receive(incoming, "webhook");
  } catch (err) {
    early?.stop();
    throw err;
  }
  const { event, dispatched } = received;
  const paused = early && delay("webhook.before_sync_wait");
  if (paused) await paused;
  if (early) return syncResponse(ctx.bus, event.id, dispatched, ctx.limits.syncTimeoutMs, early);
  return c.body(null, 202, { "AutoKitteh-Event-ID": event.id, "Cache-Control": "no-cache" });
}
