// Hostile input to the pure parts: manifests, filters, build file names and sizes, and
// the per-webhook rate limiter.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BuildError,
  checkBuildFiles,
  checkFileName,
  MAX_BUILD_BYTES,
} from "../../src/core/projects/builds.ts";
import { compileFilter, FilterError } from "../../src/core/triggers/cel.ts";
import { MAX_STEPS } from "../../src/core/triggers/cel-limits.ts";
import { INLINE_LIMITS } from "../../src/core/triggers/filter-eval.ts";
import { ManifestError } from "../../src/core/projects/manifest-error.ts";
import {
  MAX_MANIFEST_ITEMS,
  MAX_MANIFEST_NODES,
  parseManifest,
} from "../../src/core/projects/manifest.ts";
import { RateLimiter } from "../../src/integrations/webhook/rate.ts";

test("manifests nested too deeply or with too many items are refused before work", () => {
  const deep = `version: v2\nproject: ${"{a: ".repeat(3000)}1${"}".repeat(3000)}\n`;
  assert.throws(() => parseManifest(deep), /manifest: nested deeper than 100 levels/);
  // Brackets inside quotes and comments are text.
  const quoted = `version: v2\nproject:\n  name: x\n  display_name: "${"[".repeat(500)}" # ${
    "{".repeat(500)
  }\n`;
  assert.equal(parseManifest(quoted).project.displayName, "[".repeat(500));
  const triggers = Array.from(
    { length: MAX_MANIFEST_ITEMS + 1 },
    (_, i) => `    - {name: t${i}, webhook: {}}`,
  ).join("\n");
  assert.throws(
    () => parseManifest(`version: v2\nproject:\n  name: x\n  triggers:\n${triggers}\n`),
    (err) =>
      err instanceof ManifestError && /project\.triggers: must have at most 1000/.test(err.message),
  );
});

test("filters: too long, too deep, and too much work", () => {
  assert.throws(() => compileFilter("1 == 1 && ".repeat(500) + "true"), /longer than 4096/);
  assert.throws(
    () => compileFilter("(".repeat(100) + "1" + ")".repeat(100) + " == 1"),
    FilterError,
  );
  // Parentheses in strings are not nesting.
  assert.equal(
    compileFilter(`data.s == '${"(".repeat(100)}'`).matches({
      data: { s: "(".repeat(100) },
      event_type: "x",
    }),
    true,
  );
  // Work within the budget is done; past it the filter does not match.
  const list = {
    data: { items: Array.from({ length: MAX_STEPS - 10 }, (_, i) => i) },
    event_type: "",
  };
  assert.equal(compileFilter("data.items.all(i, i >= 0)").matches(list), true);
  const items = `[${Array(30).fill("1").join(",")}]`;
  const loopy = compileFilter(`${items}.all(a, ${items}.all(b, ${items}.all(c, true)))`);
  assert.equal(loopy.matches({ data: {}, event_type: "" }), false);
  // The budget is per evaluation.
  assert.equal(compileFilter("data.items.all(i, i >= 0)").matches(list), true);
});

test("a manifest with 80k keys is refused in one pass; a repeated key is named", () => {
  // Just under the size limit.
  const keys = Array.from({ length: 80_000 }, (_, i) => `  k${i}: 1`).join("\n");
  assert.throws(
    () => parseManifest(`version: v2\nproject:\n${keys}\n`),
    new RegExp(`manifest: more than ${MAX_MANIFEST_NODES} keys and items`),
  );
  assert.throws(
    () => parseManifest("version: v2\nproject:\n  name: a\n  name: b\n"),
    /manifest: duplicate key "name" at line 4/,
  );
});

test("filters: work is bounded by output size and cost, not only macro steps", () => {
  const body = { text: "a".repeat(500_000) };
  const vars = { data: { body }, event_type: "post" };
  // Each replace doubles the text: 0.5 MB, 1 MB, 2 MB, ... (once minutes of copying).
  const doubling = compileFilter(
    `data.body.text${".replace('a', 'aa')".repeat(8)} == ''`,
  ).evaluate(vars);
  assert.equal(doubling.match, false);
  assert.equal(doubling.overBudget, true);
  assert.match(doubling.error ?? "", /^filter exceeded its budget: more than \d+ units of work$/);
  // String concatenation grows without copying, but its size is charged all the same.
  const concat = compileFilter(
    `[data.body.text].map(a, [a + a].map(b, [b + b].map(c, [c + c].map(d, d + d + d + d))))` +
      ` == []`,
  ).evaluate(vars);
  assert.equal(concat.overBudget, true, JSON.stringify(concat));
  // The same work within the budget is done.
  assert.equal(
    compileFilter("data.body.text.replace('a', 'b').startsWith('bbb')").matches(vars),
    true,
  );
  // replace() as in cel-go.
  for (
    const [f, want] of [
      ["'abc'.replace('', '-')", "-a-b-c-"],
      ["'aaa'.replace('a', 'b', 2)", "bba"],
      ["'aaa'.replace('a', 'b', -1)", "bbb"],
      ["'aaa'.replace('a', 'b', 0)", "aaa"],
      ["'ab'.replace('', '-', 2)", "-a-b"],
      ["'AbC'.lowerAscii() + 'AbC'.upperAscii()", "abcABC"],
    ]
  ) assert.equal(compileFilter(`${f} == '${want}'`).matches({ data: {}, event_type: "" }), true, f);
  // Under the small budget of the event loop, big work stops at once, before it is done.
  const big = compileFilter("data.body.text.contains('b')").evaluate(vars, INLINE_LIMITS);
  assert.equal(big.overBudget, true);
  assert.equal(compileFilter("data.body.text.contains('b')").evaluate(vars).match, false);
});

test("build file names stay inside the build", () => {
  for (const bad of ["", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a\\b", "a\0b"]) {
    assert.throws(() => checkFileName(bad), BuildError, JSON.stringify(bad));
  }
  for (const good of ["main.py", "pkg/mod.py", "a..b/c...py"]) checkFileName(good);
});

test("a build's total size is bounded (nothing is ever decompressed)", () => {
  const files = {
    "a.bin": new Uint8Array(MAX_BUILD_BYTES / 2),
    "b.bin": new Uint8Array(MAX_BUILD_BYTES / 2 + 1),
  };
  assert.throws(() => checkBuildFiles(files), /build larger than/);
});

test("the rate limiter lets a second's worth through, then refills", () => {
  let t = 0;
  const rate = new RateLimiter(2, () => t);
  assert.equal(rate.take("a"), true);
  assert.equal(rate.take("a"), true);
  assert.equal(rate.take("a"), 1);
  assert.equal(rate.take("b"), true, "each key has its own bucket");
  t += 500;
  assert.equal(rate.take("a"), true);
  assert.equal(rate.take("a"), 1);
  const slow = new RateLimiter(0.01, () => t);
  assert.equal(slow.take("a"), true);
  assert.equal(slow.take("a"), 100);
});
