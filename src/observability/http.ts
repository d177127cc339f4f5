// The HTTP side of observability: the /metrics route, and webhook requests timed (and
// traced when tracing is on).
import { Hono, type MiddlewareHandler } from "hono";
import { scrape, webhookAnswered } from "./metrics.ts";
import { inRequestSpan } from "./tracing.ts";

const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

// GET /metrics behind the given guards (on the main port: the host check and the API token).
export function mountMetrics(app: Hono, ...guards: MiddlewareHandler[]): void {
  for (const guard of guards) app.use("/metrics", guard);
  app.get(
    "/metrics",
    async (c) => c.body(await scrape(), 200, { "content-type": PROMETHEUS_TEXT }),
  );
}

// The app of `--metrics-listen`: /metrics alone, without a token (bind it where only the
// scraper reaches).
export function metricsApp(): Hono {
  const app = new Hono();
  mountMetrics(app);
  return app;
}

// Times each webhook request from arrival to answer, in a span when tracing is on.
export const observeWebhooks: MiddlewareHandler = async (c, next) => {
  const began = performance.now();
  try {
    await inRequestSpan(c.req.method, "/webhooks/{slug}", next, () => c.res.status);
  } finally {
    webhookAnswered(c.req.method, c.res.status, performance.now() - began);
  }
};
