// Long answers with progress: lines as they come, the result last, and blank lines while
// the work is quiet so that clients do not time out on a silent body.
import assert from "node:assert/strict";
import { test } from "node:test";
import { progressResponse } from "../../src/server/api/progress.ts";

test("a quiet long answer sends blank keep-alive lines between progress and result", async () => {
  let finish!: (v: { ok: true }) => void;
  const res = progressResponse((progress) => {
    progress("pip: resolving");
    return new Promise((resolve) => (finish = resolve));
  }, 5);
  setTimeout(() => finish({ ok: true }), 60);
  const lines = (await res.text()).split("\n");
  assert.deepEqual(JSON.parse(lines[0]), { progress: "pip: resolving" });
  assert.ok(lines.slice(1, -2).length >= 2, "keep-alive lines while quiet");
  assert.ok(lines.slice(1, -2).every((l) => l === ""));
  assert.deepEqual(JSON.parse(lines.at(-2)!), { result: { ok: true } });
  assert.equal(lines.at(-1), "");
});
