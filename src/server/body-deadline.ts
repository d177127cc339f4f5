// Bodies that trickle in (a byte at a time) hold a connection and a handler for as long as
// the request timeout allows. What anyone may send (webhooks, Slack, GitHub) must arrive
// within a shorter time; the token-guarded API keeps the request timeout, since a deploy
// may upload up to 96 MiB over a slow link.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { log } from "../core/util/log.ts";

export function enforceBodyDeadline(
  server: Server,
  ms: number,
  exempt: (path: string) => boolean,
): void {
  server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.complete || exempt(req.url ?? "/")) return;
    const timer = setTimeout(() => {
      if (req.complete || res.headersSent) return;
      log.debug("request body too slow", { method: req.method, path: req.url });
      // Written on the socket, as Node does for its own request timeout: the handler still
      // waits for the body, and fails (as an aborted request) once the socket is gone.
      const body = JSON.stringify({ error: `request body not received within ${ms / 1000} s` });
      req.socket.end(
        "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n" +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        () => req.socket.destroy(),
      );
    }, ms);
    timer.unref?.();
    const done = () => clearTimeout(timer);
    req.once("end", done);
    req.once("close", done);
    res.once("close", done);
  });
}
