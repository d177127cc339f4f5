// One-time sign-in codes: good once, never after their time, never a guessed one, and a
// flood of unused ones does not grow without bound.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CODE_TTL_MS, SignInCodes, signInLink } from "../../src/server/ui-codes.ts";

test("a sign-in code works once, within its time", () => {
  const codes = new SignInCodes();
  const { code, expiresAt } = codes.mint(1000);
  assert.equal(expiresAt, 1000 + CODE_TTL_MS);
  assert.equal(codes.redeem("not-a-code", 1001), false);
  assert.equal(codes.redeem(code, 1001), true);
  assert.equal(codes.redeem(code, 1002), false);

  const late = codes.mint(1000).code;
  assert.equal(codes.redeem(late, 1001 + CODE_TTL_MS), false);
  // Refused late, and gone: not good again even "in time".
  assert.equal(codes.redeem(late, 1001), false);
});

test("unused codes are capped, the oldest dropped first", () => {
  const codes = new SignInCodes();
  const first = codes.mint(0).code;
  for (let i = 0; i < 100; i++) codes.mint(0);
  assert.equal(codes.redeem(first, 1), false);
});

test("the link carries the code in its fragment only", () => {
  assert.equal(signInLink("http://127.0.0.1:9980/", "abc"), "http://127.0.0.1:9980/#/sign-in/abc");
});
