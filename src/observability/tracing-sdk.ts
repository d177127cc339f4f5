// The OpenTelemetry tracing SDK, loaded by tracing.ts only when an OTLP endpoint is set:
// spans batched and exported over OTLP/HTTP (the exporter reads the standard OTEL_*
// variables: endpoint, headers, timeout; the batch processor OTEL_BSP_*). The packages are
// imported in createTracing, not here: a bundle that inlines this module would otherwise
// load them into every daemon.
import type { Context, Span } from "@opentelemetry/api";
import { commonJs } from "../core/util/commonjs.ts";
import { VERSION } from "../version.ts";

export async function createTracing() {
  const [
    { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace },
    { AsyncLocalStorageContextManager },
    { OTLPTraceExporter },
    { resourceFromAttributes },
    { BasicTracerProvider, BatchSpanProcessor },
  ] = await Promise.all([
    import("@opentelemetry/api").then(commonJs),
    import("@opentelemetry/context-async-hooks").then(commonJs),
    import("@opentelemetry/exporter-trace-otlp-http").then(commonJs),
    import("@opentelemetry/resources").then(commonJs),
    import("@opentelemetry/sdk-trace-base").then(commonJs),
  ]);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "pounce", "service.version": VERSION }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer("pounce", VERSION);
  // Per live session: the context its runs start in (the request's or event's span), and
  // the span of the run going on now.
  const parents = new Map<string, Context>();
  const runs = new Map<string, Span>();

  return {
    inRequestSpan<T>(
      method: string,
      route: string,
      answer: () => Promise<T>,
      status: () => number,
    ): Promise<T> {
      const attributes = { "http.request.method": method, "http.route": route };
      return tracer.startActiveSpan(
        `${method} ${route}`,
        { kind: SpanKind.SERVER, attributes },
        async (span) => {
          try {
            return await answer();
          } finally {
            const code = status();
            span.setAttribute("http.response.status_code", code);
            if (code >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
            span.end();
          }
        },
      );
    },

    sessionCreated(sessionId: string): void {
      parents.set(sessionId, context.active());
    },

    async inSessionSpan<T>(sessionId: string, drive: () => Promise<T>): Promise<T> {
      // Unknown (resumed after a restart, a child session): the context it was started in.
      const parent = parents.get(sessionId) ?? context.active();
      parents.set(sessionId, parent);
      const span = tracer.startSpan("session", {
        attributes: { "pounce.session.id": sessionId },
      }, parent);
      runs.set(sessionId, span);
      try {
        return await context.with(trace.setSpan(parent, span), drive);
      } finally {
        if (runs.get(sessionId) === span) runs.delete(sessionId);
        span.end();
      }
    },

    sessionFinished(sessionId: string, projectId: string, state: string): void {
      const span = runs.get(sessionId);
      span?.setAttributes({ "pounce.session.state": state, "pounce.project.id": projectId });
      if (state === "error") span?.setStatus({ code: SpanStatusCode.ERROR });
      parents.delete(sessionId);
    },

    activitySpan(
      sessionId: string,
      name: string,
      startedAt: number,
      completedAt: number,
      error: boolean,
    ): void {
      const run = runs.get(sessionId);
      if (!run) return;
      const span = tracer.startSpan(`activity ${name}`, {
        startTime: startedAt,
        attributes: { "pounce.session.id": sessionId, "pounce.activity.name": name },
      }, trace.setSpan(ROOT_CONTEXT, run));
      if (error) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(completedAt);
    },

    traceId(sessionId: string): string | undefined {
      return runs.get(sessionId)?.spanContext().traceId;
    },

    shutdown(): Promise<void> {
      parents.clear();
      runs.clear();
      return provider.shutdown();
    },
  };
}

export type Tracing = Awaited<ReturnType<typeof createTracing>>;
