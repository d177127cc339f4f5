// Long requests that report progress (a deploy building a venv): to a client that accepts
// `application/x-ndjson`, one JSON object per line, `{"progress": "text"}` while working,
// then `{"result": {...}}` or `{"error": "text", "status": 400}` last.
import { log } from "../../core/util/log.ts";
import { ApiError } from "./errors.ts";

export const NDJSON = "application/x-ndjson";

// A blank line this often, which readers skip: pip can be silent for minutes, and HTTP
// clients give up on a body that stays quiet (fetch's default: 300 s).
const KEEPALIVE_MS = 20_000;

export function acceptsProgress(accept: string | undefined): boolean {
  return !!accept && accept.split(",").some((t) => t.trim().split(";")[0] === NDJSON);
}

export function progressResponse<T>(
  work: (progress: (line: string) => void) => Promise<T>,
  keepaliveMs = KEEPALIVE_MS,
): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (value: unknown) => {
        try {
          controller.enqueue(encoder.encode(JSON.stringify(value) + "\n"));
        } catch { /* the client went away; the work still finishes */ }
      };
      const keepalive = setInterval(() => {
        try {
          controller.enqueue(encoder.encode("\n"));
        } catch { /* the client went away */ }
      }, keepaliveMs);
      work((line) => send({ progress: line }))
        .then((result) => send({ result }), (err: Error) => {
          if (err instanceof ApiError) send({ error: err.message, status: err.status });
          else {
            log.error("request failed", { error: err.message });
            send({ error: "internal error", status: 500 });
          }
        })
        .finally(() => {
          clearInterval(keepalive);
          try {
            controller.close();
          } catch { /* already closed */ }
        });
    },
  });
  return new Response(stream, { headers: { "content-type": NDJSON, "cache-control": "no-store" } });
}
