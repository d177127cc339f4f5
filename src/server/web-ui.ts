// The web UI: the static files of src/server/ui (inside the binary, its embedded copy), at
// `/` and `/ui/<file>`. No token is needed to load them; the pages ask for it once and
// trade it for a cookie (ui-session.ts). Only these files run script in the UI's origin:
// everything else the daemon serves is sandboxed (app.ts).
import type { Context, Hono } from "hono";
import { assetFile } from "../assets.ts";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

const HEADERS = {
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'self'; script-src 'self'; connect-src 'self'; " +
    "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; " +
    "form-action 'none'",
};

function serve(c: Context, file: string): Response {
  const body = assetFile("web-ui", file);
  if (!body) return c.json({ error: "not found" }, 404);
  const type = TYPES[file.slice(file.lastIndexOf(".") + 1)] ?? "application/octet-stream";
  return c.body(body as Uint8Array<ArrayBuffer>, 200, { ...HEADERS, "content-type": type });
}

export function mountWebUi(app: Hono): void {
  app.get("/", (c) => serve(c, "index.html"));
  app.get("/ui/:file", (c) => serve(c, c.req.param("file")));
}
