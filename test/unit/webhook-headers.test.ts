// A webhook event's headers read from the HTTP server's raw list (event-data.ts
// rawHeaderPairs) are the ones a web Headers object gives: same names, values, order. One
// difference: several Cookie headers are joined with "; " (RFC 6265), as Node's Headers
// joins them, on Deno too (whose Headers joins them with ", ").
import assert from "node:assert/strict";
import { test } from "node:test";
import { webhookEventData } from "../../src/integrations/webhook/event-data.ts";

test("headers from the raw list are those of a Headers object", () => {
  const raw = [
    "Host",
    "127.0.0.1:9",
    "X-Multi",
    "one",
    "content-type",
    "application/json",
    "x-multi",
    "  two\t",
    "Cookie",
    "a=1",
    "cookie",
    "b=2",
    "Set-Cookie",
    "s=1",
    "set-cookie",
    "s=2",
    "X-Empty",
    "",
    "accept",
    "*/*",
  ];
  const headers = new Headers();
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  const req = new Request("http://127.0.0.1:9/webhooks/x?q=1", {
    method: "POST",
    headers,
  });
  const body = new TextEncoder().encode('{"a": 1}');
  type HeaderMap = Record<string, string>;
  const viaHeaders = webhookEventData(req, body, "").data.headers as HeaderMap;
  const viaRaw = webhookEventData(req, body, "", raw).data.headers as HeaderMap;
  assert.deepEqual({ ...viaRaw, Cookie: "" }, { ...viaHeaders, Cookie: "" });
  assert.deepEqual(Object.keys(viaRaw), Object.keys(viaHeaders));
  assert.equal(viaRaw["X-Multi"], "one, two");
  assert.equal(viaRaw["Cookie"], "a=1; b=2");
});

test("the content type for the body's form comes from the raw list too", () => {
  const raw = ["Content-Type", "application/x-www-form-urlencoded", "Host", "127.0.0.1:9"];
  const req = new Request("http://127.0.0.1:9/webhooks/x", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  const body = new TextEncoder().encode("a=1&a=2&b=3");
  const url = new URL(req.url);
  const viaRaw = webhookEventData(req, body, "", raw, url).data;
  assert.deepEqual((viaRaw.body as { form: unknown }).form, { a: "1, 2", b: "3" });
  assert.deepEqual(viaRaw.body, webhookEventData(req, body, "").data.body);
});
