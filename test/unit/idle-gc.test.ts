import assert from "node:assert/strict";
import { test } from "node:test";
import { getHeapStatistics } from "node:v8";
import { startIdleGc } from "../../src/core/util/idle-gc.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const heapMb = () => getHeapStatistics().total_heap_size / 1048576;

test("a quiet process gives back the heap a burst left behind", async () => {
  const stop = startIdleGc(500);
  try {
    // A burst: objects that live long enough to reach the old generation, then die.
    let kept: { n: number; s: string }[][] = [];
    for (let round = 0; round < 12; round++) {
      kept.push(Array.from({ length: 150_000 }, (_, n) => ({ n, s: `item ${n}` })));
      await sleep(10);
    }
    kept = [];
    const before = heapMb();
    assert.ok(before > 100, `the burst grew the heap to ${before.toFixed(0)} MB`);
    for (let i = 0; i < 100 && heapMb() > before / 2; i++) await sleep(100);
    assert.ok(heapMb() < before / 2, `heap: ${before.toFixed(0)} MB, then ${heapMb().toFixed(0)}`);
  } finally {
    stop();
  }
});
