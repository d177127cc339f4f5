// A request body's size limit that leaves the body alone when the request declares its
// length: hono's bodyLimit reads `c.req.raw.body`, which on Node makes the adapter build
// a whole web Request (an AbortController, a stream) for every request, ~0.1 ms each.
// A declared Content-Length is what Node's parser holds the body to; a chunked body, which
// declares nothing, is counted as it streams by hono's bodyLimit.
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestHeader } from "./node-request.ts";

export type BodyLimit = {
  maxSize: number;
  onError: (c: Context) => Response | Promise<Response>;
};

export function declaredBodyLimit(options: BodyLimit): MiddlewareHandler {
  const streamed = bodyLimit(options);
  return (c, next) => {
    const declared = requestHeader(c, "content-length");
    if (declared === undefined || requestHeader(c, "transfer-encoding") !== undefined) {
      return streamed(c, next);
    }
    if (Number(declared) > options.maxSize) return Promise.resolve(options.onError(c));
    return next();
  };
}
