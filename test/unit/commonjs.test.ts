// A CommonJS package's exports however the import gave them (see commonjs.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { commonJs } from "../../src/core/util/commonjs.ts";

const exports = { SpanKind: { SERVER: 1 }, trace: {} };

test("named exports are taken as they are, whatever `default` holds", () => {
  // Node and Deno: the named exports, and `default` as module.exports.
  assert.equal(commonJs({ ...exports, default: exports }).SpanKind.SERVER, 1);
  // A CommonJS bundle: module.exports, whose `default` is the package's default export.
  const moduleExports = { __esModule: true, ...exports, default: { trace: {} } };
  assert.equal(commonJs(moduleExports).SpanKind.SERVER, 1);
});

test("`default` is taken when it is all there is", () => {
  // An ES module bundle: module.exports as `default` only.
  assert.equal(commonJs({ default: exports } as unknown as typeof exports).SpanKind.SERVER, 1);
});
