// Gives back the memory of a burst once the daemon is quiet. After thousands of sessions
// V8 keeps the heap it grew to (with 10,000 hibernated sessions: 128 MB, of which 32 MB
// live): its memory reducer starts only after a full collection, and a quiet daemon
// allocates too little to cause one. So, every CHECK_MS: if the process used almost no CPU
// since the last check and the heap is GROWTH_BYTES past the smallest it was, a full
// collection (V8 then returns the emptied pages). Busy daemons are left alone.
import { getHeapStatistics } from "node:v8";
import { fullGc } from "../../runtime.ts";

const CHECK_MS = 10_000;
// CPU time (all threads) below this share of the interval: quiet.
const QUIET_CPU = 0.02;
const GROWTH_BYTES = 16 * 1024 * 1024;
// V8 returns emptied pages over a few collections (its memory reducer makes up to three);
// what they could not give back is the new floor.
const MAX_ROUNDS = 3;

export function startIdleGc(checkMs = CHECK_MS): () => void {
  const gc = fullGc();
  if (!gc) return () => {};
  const heapSize = () => getHeapStatistics().total_heap_size;
  let floor = heapSize();
  let rounds = 0;
  let last = process.cpuUsage();
  const timer = setInterval(() => {
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    if ((used.user + used.system) / 1000 > checkMs * QUIET_CPU) return;
    const size = heapSize();
    floor = Math.min(floor, size);
    if (size - floor < GROWTH_BYTES) return void (rounds = 0);
    if (rounds === MAX_ROUNDS) {
      floor = size;
      rounds = 0;
      return;
    }
    gc();
    rounds++;
    last = process.cpuUsage();
  }, checkMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
