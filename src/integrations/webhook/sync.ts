// Synchronous webhooks (`is_sync: true`): answer with the session's first outcome for the
// event, then stream the following outcomes' bodies while `more` is true (AutoKitteh §3.1).
import type { DispatchResult } from "../../core/dispatcher.ts";
import type { LiveRecord, LogBus } from "../../core/log-bus.ts";

type HttpOutcome = {
  status_code?: number;
  body?: unknown;
  json?: unknown;
  headers?: Record<string, string>;
  more?: boolean;
};

function httpOf(value: unknown): HttpOutcome {
  if (value && typeof value === "object" && "http" in value) {
    return (value as { http: HttpOutcome }).http;
  }
  return { body: value };
}

function bodyBytes(o: HttpOutcome): { bytes: Uint8Array<ArrayBuffer>; json: boolean } {
  if (o.json !== undefined && o.json !== null) {
    return { bytes: new TextEncoder().encode(JSON.stringify(o.json)), json: true };
  }
  const body = o.body;
  if (body === undefined || body === null) return { bytes: new Uint8Array(), json: false };
  if (typeof body === "string") return { bytes: new TextEncoder().encode(body), json: false };
  if (typeof body === "object" && typeof (body as { $bytes?: unknown }).$bytes === "string") {
    return {
      bytes: new Uint8Array(Buffer.from((body as { $bytes: string }).$bytes, "base64")),
      json: false,
    };
  }
  return { bytes: new TextEncoder().encode(JSON.stringify(body)), json: true };
}

// Outcome records logged from now on, kept until syncResponse takes over: a session can
// answer before the request's dispatch has returned.
export type EarlyOutcomes = { records: LiveRecord[]; stop: () => void };

export function watchOutcomes(bus: LogBus): EarlyOutcomes {
  const records: LiveRecord[] = [];
  const stop = bus.subscribe((record) => {
    if (record.type === "outcome") records.push(record);
  });
  return { records, stop };
}

export function syncResponse(
  bus: LogBus,
  eventId: string,
  dispatched: DispatchResult,
  timeoutMs: number,
  early: EarlyOutcomes,
): Promise<Response> {
  early.stop();
  if (!dispatched.sessionIds.length && !dispatched.signaledSessionIds.length) {
    return Promise.resolve(
      Response.json({ error: "no session started or woken for this event" }, { status: 502 }),
    );
  }
  return new Promise((resolve) => {
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const finish = () => {
      clearTimeout(timer);
      unsubscribe();
      if (controller) controller.close();
    };
    const timer = setTimeout(() => {
      if (controller) finish();
      else {
        unsubscribe();
        resolve(Response.json({ error: "no outcome before the timeout" }, { status: 504 }));
      }
    }, timeoutMs);
    const onRecord = (record: LiveRecord) => {
      if (record.type !== "outcome" || record.data.event_id !== eventId) return;
      const outcome = httpOf(record.data.value);
      const { bytes, json } = bodyBytes(outcome);
      if (controller) {
        controller.enqueue(bytes);
        if (!outcome.more) finish();
        return;
      }
      const headers = new Headers(outcome.headers ?? {});
      if (json && !headers.has("content-type")) headers.set("content-type", "application/json");
      const status = outcome.status_code || 200;
      if (!outcome.more) {
        finish();
        resolve(new Response(bytes, { status, headers }));
        return;
      }
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
          c.enqueue(bytes);
        },
      });
      resolve(new Response(stream, { status, headers }));
    };
    const unsubscribe = bus.subscribe(onRecord);
    for (const record of early.records) onRecord(record);
  });
}
