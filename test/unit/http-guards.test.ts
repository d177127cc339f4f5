import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonNestedDeeperThan } from "../../src/integrations/webhook/event-data.ts";
import { cookieValues, uiCookieValid, uiCookieValue } from "../../src/server/auth.ts";
import { hostCheck } from "../../src/server/host-check.ts";

test("host names: loopback, addresses, and the allowed ones (with or without a port)", () => {
  const ok = hostCheck(["pounce.example.com", "ops.example.org:8443"]);
  for (
    const host of [
      "127.0.0.1:9980",
      "localhost",
      "LOCALHOST:1",
      "ui.localhost:9980",
      "[::1]:9980",
      "192.168.1.20:9980",
      "pounce.example.com",
      "pounce.example.com.:443",
      "ops.example.org:8443",
      undefined,
    ]
  ) assert.equal(ok(host), true, String(host));
  for (
    const host of [
      "evil.example",
      "pounce.example.com.evil.io",
      "ops.example.org",
      "ops.example.org:9999",
      "localhost.evil.io",
      "a@localhost",
      "localhost/x",
      "",
    ]
  ) assert.equal(ok(host), false, host);
  assert.throws(() => hostCheck(["bad host"]), /--allowed-hosts: "bad host"/);
});

test("JSON depth is counted outside strings only", () => {
  assert.equal(jsonNestedDeeperThan("[[[]]]", 3), false);
  assert.equal(jsonNestedDeeperThan("[[[[]]]]", 3), true);
  assert.equal(jsonNestedDeeperThan(`{"a":"[[[[[\\"[[[["}`, 1), false);
  assert.equal(jsonNestedDeeperThan(`{"a":{"b":[1]}}`, 2), true);
});

test("the UI's cookie: several values read, forged or expired ones refused", () => {
  assert.deepEqual(cookieValues("a=1; pounce_ui_x=2; pounce_ui_x=3", "pounce_ui_x"), ["2", "3"]);
  const { value } = uiCookieValue("tok", 1000);
  assert.equal(uiCookieValid("tok", value, 1000), true);
  assert.equal(uiCookieValid("other", value, 1000), false);
  assert.equal(uiCookieValid("tok", value, 1000 + 8 * 86400_000), false);
  const [exp, mac] = value.split(".");
  assert.equal(uiCookieValid("tok", `${Number(exp) + 1}.${mac}`, 1000), false);
  assert.equal(uiCookieValid("tok", "garbage", 1000), false);
});
