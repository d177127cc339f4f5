// The verify functions of the webhook-style integrations, against signatures computed here
// the way each provider documents them.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { linearFresh, linearSignatureMatches } from "../../src/integrations/linear/index.ts";
import { telegramEvents, telegramWebhook } from "../../src/integrations/telegram/index.ts";
import { snakeCase, twilioEvents } from "../../src/integrations/twilio/index.ts";
import { twilioSignature, twilioSignatureMatches } from "../../src/integrations/twilio/verify.ts";
import { Body } from "../../src/integrations/unverified-body.ts";
import {
  zoomChallenge,
  zoomCheckHeaders,
  zoomSignatureMatches,
} from "../../src/integrations/zoom/index.ts";

const enc = new TextEncoder();
const chunks = (s: string) => [enc.encode(s.slice(0, 3)), enc.encode(s.slice(3))];

test("twilio: Twilio's documented example signature", () => {
  // https://www.twilio.com/docs/usage/security#validating-requests
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const form = "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030" +
    "&To=%2B18005551212";
  assert.equal(twilioSignature("12345", url, form), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  assert.ok(twilioSignatureMatches("12345", url, form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
  assert.ok(!twilioSignatureMatches("12346", url, form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
  assert.ok(!twilioSignatureMatches("12345", url + "&x=1", form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
});

test("twilio: form fields become AutoKitteh's snake_case data", () => {
  assert.equal(snakeCase("AccountSid"), "account_sid");
  assert.equal(snakeCase("SmsMessageSid"), "sms_message_sid");
  assert.equal(snakeCase("MediaUrl0"), "media_url_0");
  assert.equal(snakeCase("From"), "from");
  assert.deepEqual(twilioEvents({ Body: "hi", NumMedia: "0" }), [
    { eventType: "message", data: { body: "hi", num_media: "0" } },
  ]);
});

test("linear: hex HMAC-SHA256 of the raw body, and a timestamp within a minute", () => {
  const body = '{"action":"create","webhookTimestamp":1}';
  const sig = createHmac("sha256", "s").update(body).digest("hex");
  assert.ok(linearSignatureMatches("s", chunks(body), sig));
  assert.ok(!linearSignatureMatches("t", chunks(body), sig));
  assert.ok(!linearSignatureMatches("s", chunks(body + " "), sig));
  const now = 1_700_000_000_000;
  assert.equal(linearFresh({ webhookTimestamp: now - 30_000 }, now), undefined);
  assert.match(linearFresh({ webhookTimestamp: now - 61_000 }, now)!, /stale/);
  assert.match(linearFresh({}, now)!, /missing/);
});

test("zoom: v0 signature over timestamp and body, fresh timestamp, URL challenge", () => {
  const body = '{"event":"meeting.started"}';
  const sig = "v0=" + createHmac("sha256", "z").update(`v0:1700000000:${body}`).digest("hex");
  assert.ok(zoomSignatureMatches("z", "1700000000", chunks(body), sig));
  assert.ok(!zoomSignatureMatches("z", "1700000001", chunks(body), sig));
  const h = (ts: string) => new Headers({ "x-zm-signature": sig, "x-zm-request-timestamp": ts });
  assert.equal(zoomCheckHeaders(h("1700000000"), 1_700_000_100_000), undefined);
  assert.equal(zoomCheckHeaders(h("1700000000"), 1_700_001_000_000)?.status, 403);
  assert.equal(zoomCheckHeaders(new Headers(), 0)?.status, 401);
  assert.deepEqual(
    zoomChallenge({ event: "endpoint.url_validation", payload: { plainToken: "abc" } }, "z"),
    { plainToken: "abc", encryptedToken: createHmac("sha256", "z").update("abc").digest("hex") },
  );
  assert.equal(zoomChallenge({ event: "meeting.started" }, "z"), undefined);
});

test("telegram: the secret token must match; the update's first kind names the event", () => {
  const delivery = (token: string) => ({
    url: "",
    params: { bot_id: "1" },
    headers: new Headers({ "x-telegram-bot-api-secret-token": token }),
    body: new Body([], 0),
  });
  assert.ok(telegramWebhook.verify(delivery("tok"), "tok"));
  assert.ok(!telegramWebhook.verify(delivery("tok2"), "tok"));
  assert.equal(telegramWebhook.checkHeaders!(new Headers(), 0)?.status, 401);
  const update = { update_id: 5, callback_query: { id: "q" } };
  assert.deepEqual(telegramEvents(update), [{ eventType: "callback_query", data: update }]);
  assert.deepEqual(telegramEvents({ update_id: 6 }), []);
});

test("atlassian: X-Hub-Signature over the body; Confluence's event type from its category", async () => {
  const { hubSignatureMatches } = await import("../../src/integrations/atlassian/webhooks.ts");
  const { confluenceEvents } = await import("../../src/integrations/confluence/index.ts");
  const body = '{"page":{}}';
  const sig = "sha256=" + createHmac("sha256", "a").update(body).digest("hex");
  assert.ok(hubSignatureMatches("a", chunks(body), sig));
  assert.ok(!hubSignatureMatches("b", chunks(body), sig));
  const head = { url: "", params: { category: "updated" }, headers: new Headers() };
  assert.equal(confluenceEvents({ comment: {} }, head)[0].eventType, "comment_updated");
  assert.deepEqual(confluenceEvents({ comment: {} }), []);
});
