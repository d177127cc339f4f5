// The files the single binary carries after its executable image (src/payload.ts), written
// as scripts/build/payload.ts appends them.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { filePayload, inlinePayload } from "../../src/payload.ts";
import { appendPayload } from "../../scripts/build/payload.ts";

test("files appended after an image are read back, as bytes, text and copies", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-payload-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const image = join(dir, "image");
  const head = Buffer.from("\x7fELF the executable image");
  writeFileSync(image, head);
  // Text over several read chunks, with a two-byte character across each chunk boundary.
  const text = ("a".repeat((64 << 10) - 1) + "µ").repeat(3) + "end";
  const blob = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
  writeFileSync(join(dir, "blob"), blob);
  appendPayload(image, { "tree/a.txt": Buffer.from(text), "addon.node": join(dir, "blob") });

  assert.deepEqual(readFileSync(image).subarray(0, head.length), head);
  const payload = filePayload(image);
  assert.equal(payload.readText("tree/a.txt"), text);
  assert.deepEqual(payload.read("addon.node"), blob);
  assert.equal(payload.read("missing"), undefined);
  assert.equal(payload.readText("missing"), undefined);
  const out = join(dir, "copy.node");
  assert.equal(payload.copy("addon.node", out, 0o700), true);
  assert.deepEqual(readFileSync(out), blob);
  assert.equal(statSync(out).mode & 0o777, 0o700);
  assert.equal(payload.copy("missing", join(dir, "none")), false);
});

test("a file with no payload is named in the error", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-payload-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const image = join(dir, "plain");
  writeFileSync(image, "no payload here, just an ordinary file");
  assert.throws(() => filePayload(image).read("x"), new RegExp(`${image} carries no payload`));
});

test("an inline payload (the deno compile bundle) holds base64 files", () => {
  const payload = inlinePayload({ "web-ui/a.css": Buffer.from("body{}").toString("base64") });
  assert.equal(payload.readText("web-ui/a.css"), "body{}");
  assert.equal(payload.read("web-ui/b.css"), undefined);
});
