// Synchronous webhooks (`is_sync: true`): answer with the session's first outcome for the
// event, then stream the following outcomes' bodies while `more` is true (AutoKitteh §3.1).
import { validateHeaderName, validateHeaderValue } from "node:http";
import type { DispatchResult } from "../../core/dispatcher.ts";
import type { LiveRecord, LogBus } from "../../core/sessions/log-bus.ts";
import type { SessionState } from "../../core/sessions/rows.ts";
import { isFinal } from "../../core/sessions/rows.ts";
import { UI_COOKIE_PREFIX } from "../../server/auth.ts";

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

// Headers the daemon's HTTP server owns: framing and the connection's life.
const SERVER_HEADERS = new Set([
  "connection",
  "content-length",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

// A handler's answer that HTTP cannot carry.
class BadOutcome extends Error {}

// The status and headers of the session's answer, checked the way the HTTP server will
// check them when it writes them (else the request would wait out the timeout).
// Without headers when there are none (the HTTP server then writes its defaults without
// reading a Headers object).
function responseHead(o: HttpOutcome, json: boolean): ResponseInit {
  const status = o.status_code || 200;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new BadOutcome(`status_code ${JSON.stringify(o.status_code)}: not 200–599`);
  }
  const given = Object.entries(o.headers ?? {});
  if (!given.length && !json) return { status };
  const headers = new Headers();
  for (const [name, raw] of given) {
    const value = String(raw);
    const lower = name.toLowerCase();
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
      if (SERVER_HEADERS.has(lower)) continue;
      // The web UI's sign-in cookie is the daemon's, on the same host name.
      if (lower === "set-cookie" && value.trimStart().startsWith(UI_COOKIE_PREFIX)) continue;
      headers.append(name, value);
    } catch (err) {
      const why = (err as Error).message.replace(/ \[.*\]$/, "");
      throw new BadOutcome(`header ${JSON.stringify(name)}: ${why}`);
    }
  }
  if (json && !headers.has("content-type")) headers.set("content-type", "application/json");
  return { status, headers };
}

// Outcome and state records logged from now on, kept until syncResponse takes over: a session can
// answer before the request's dispatch has returned.
export type EarlyOutcomes = { records: LiveRecord[]; stop: () => void };

export function watchOutcomes(bus: LogBus): EarlyOutcomes {
  const records: LiveRecord[] = [];
  const stop = bus.subscribe((record) => {
    if (record.type === "outcome" || record.type === "state") records.push(record);
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
    // Once every session the event started or woke has ended, no answer can come.
    const running = new Set([...dispatched.sessionIds, ...dispatched.signaledSessionIds]);
    const onEnd = (record: LiveRecord) => {
      if (!running.delete(record.sessionId) || running.size) return;
      if (controller) return finish();
      finish();
      resolve(Response.json({
        error: `the session ended (${record.data.state}) without an HTTP answer`,
        session_id: record.sessionId,
      }, { status: 502 }));
    };
    const onRecord = (record: LiveRecord) => {
      if (record.type === "state" && isFinal(record.data.state as SessionState)) {
        return onEnd(record);
      }
      if (record.type !== "outcome" || record.data.event_id !== eventId) return;
      const outcome = httpOf(record.data.value);
      const { bytes, json } = bodyBytes(outcome);
      if (controller) {
        controller.enqueue(bytes);
        if (!outcome.more) finish();
        return;
      }
      let init;
      try {
        init = responseHead(outcome, json);
      } catch (err) {
        if (!(err instanceof BadOutcome)) throw err;
        finish();
        resolve(Response.json({ error: `the session's HTTP answer: ${err.message}` }, {
          status: 502,
        }));
        return;
      }
      if (!outcome.more) {
        finish();
        resolve(new Response(bytes, init));
        return;
      }
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
          c.enqueue(bytes);
        },
      });
      resolve(new Response(stream, init));
    };
    // Only the records of these sessions can answer or end the wait.
    const stops = [...running].map((id) => bus.subscribeSession(id, onRecord));
    const unsubscribe = () => {
      for (const stop of stops) stop();
    };
    for (const record of early.records) onRecord(record);
  });
}
