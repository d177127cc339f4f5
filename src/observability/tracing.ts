// OpenTelemetry traces, off unless an OTLP endpoint is configured: one trace per event,
// from the webhook request through dispatch to each session it starts (a span per run of
// the session) and the session's activities. The SDK (tracing-sdk.ts) is loaded only when
// configured; without it every function here does nothing.
import type { Tracing } from "./tracing-sdk.ts";

let sdk: Tracing | undefined;

// The standard OpenTelemetry variables: an OTLP endpoint turns tracing on.
export function tracingConfigured(env: Record<string, string | undefined> = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === "true" || env.OTEL_TRACES_EXPORTER === "none") return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

export async function startTracing(): Promise<boolean> {
  if (sdk || !tracingConfigured()) return Boolean(sdk);
  sdk = await (await import("./tracing-sdk.ts")).createTracing();
  return true;
}

// Exports what is still buffered.
export async function stopTracing(): Promise<void> {
  const was = sdk;
  sdk = undefined;
  await was?.shutdown();
}

// Runs `answer` in a span for an inbound webhook request; `status` read at its end.
export function inRequestSpan<T>(
  method: string,
  route: string,
  answer: () => Promise<T>,
  status: () => number,
): Promise<T> {
  return sdk ? sdk.inRequestSpan(method, route, answer, status) : answer();
}

// A session just created: its runs join the trace of the request or event being handled.
export function sessionCreated(sessionId: string): void {
  sdk?.sessionCreated(sessionId);
}

// Runs one drive of a session (start or resume to its end or hibernation) in a span.
export function inSessionSpan<T>(sessionId: string, drive: () => Promise<T>): Promise<T> {
  return sdk ? sdk.inSessionSpan(sessionId, drive) : drive();
}

// The final state, on the session's span; its trace is forgotten.
export function sessionFinished(sessionId: string, projectId: string, state: string): void {
  sdk?.sessionFinished(sessionId, projectId, state);
}

// One activity, as a child span of its session's run.
export function activitySpan(
  sessionId: string,
  name: string,
  startedAt: number,
  completedAt: number,
  error: boolean,
): void {
  sdk?.activitySpan(sessionId, name, startedAt, completedAt, error);
}

// `{ trace_id }` for the session's log (its first "running" record), when traced.
export function traceFields(sessionId: string): { trace_id?: string } {
  const id = sdk?.traceId(sessionId);
  return id ? { trace_id: id } : {};
}
