import assert from "node:assert/strict";
import { test } from "node:test";
import { getHeapStatistics } from "node:v8";
import { startIdleGc } from "../../src/core/util/idle-gc.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slack = () => {
  const h = getHeapStatistics();
  return h.total_heap_size - h.used_heap_size;
};

test("a quiet process gives back the heap a burst left behind", async () => {
  // A burst: objects that live long enough to reach the old generation, then die.
  let kept: { n: number; s: string }[][] = [];
  for (let round = 0; round < 12; round++) {
    kept.push(Array.from({ length: 150_000 }, (_, n) => ({ n, s: `item ${n}` })));
    await sleep(10);
  }
  kept = [];
  await sleep(300);
  const before = slack();
  assert.ok(before > 16 << 20, `the burst left ${before >> 20} MB of slack`);
  const stop = startIdleGc(200);
  try {
    for (let i = 0; i < 30 && slack() > before / 2; i++) await sleep(100);
    assert.ok(slack() < before / 2, `slack: ${before >> 20} MB, then ${slack() >> 20} MB`);
  } finally {
    stop();
  }
});
