// Sealing journal and store values: sealed ones open to what was sealed, rows written in
// clear (a pickle, JSON) read as they are, a project without secrets seals nothing.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { CLEAR, sealerFor } from "../../src/core/projects/at-rest.ts";
import { SecretBox } from "../../src/core/projects/secrets.ts";

const box = new SecretBox(randomBytes(32));
const SECRET = `k'e"y\\-\u00e9-\u{1F600}`;

test("sealed texts and bytes open to what was sealed, and hide it", () => {
  const seal = sealerFor(box, [SECRET]);
  const json = JSON.stringify({ token: SECRET });
  const text = seal.text(json);
  assert.ok(!text.includes("token") && text.startsWith("enc:v1:"));
  assert.equal(box.openText(text), json);
  const pickle = Buffer.concat([Buffer.from([0x80, 0x05]), Buffer.from(SECRET, "utf8")]);
  const sealed = Buffer.from(seal.bytes(pickle));
  assert.equal(sealed.indexOf(Buffer.from(SECRET, "utf8")), -1);
  assert.deepEqual(box.openBytes(sealed), pickle);
});

test("rows in clear read as they are; no secrets, nothing sealed", () => {
  assert.equal(box.openText('{"a": 1}'), '{"a": 1}');
  const pickle = Buffer.from([0x80, 0x05, 0x4b, 0x01, 0x2e]);
  assert.deepEqual(box.openBytes(pickle), pickle);
  assert.deepEqual(box.openBytes(Buffer.alloc(0)), Buffer.alloc(0));
  assert.equal(sealerFor(box, []), CLEAR);
  assert.equal(CLEAR.text("x"), "x");
});

test("a value sealed under another key does not open", () => {
  const other = new SecretBox(randomBytes(32));
  assert.throws(() => box.openBytes(Buffer.from(other.sealBytes(Buffer.from("x")))));
  assert.throws(() => box.openText(other.seal("x")));
});
