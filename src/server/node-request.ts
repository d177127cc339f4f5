// What the Node adapter (@hono/node-server; on Deno too: it serves node:http) parsed of a
// request already. Reading a header through the web Request makes the adapter build a
// `Headers` object, which validates every header again: ~0.05 ms on the webhook path.
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

export function nodeIncoming(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

// A request header (`name` lowercased), values joined as Node joins them.
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = nodeIncoming(c);
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
