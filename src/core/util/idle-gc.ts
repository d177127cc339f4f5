// Gives back the memory of a burst once the daemon is quiet. After thousands of sessions
// V8 keeps the old generation it grew to (with 10,000 hibernated sessions: a 128 MB heap
// holding 32 MB of live objects): its memory reducer starts only after a full collection,
// and a quiet daemon allocates too little to cause one. So, every CHECK_MS: if the process
// used almost no CPU since the last check and the heap holds much more than is live, one
// full collection (V8 then returns the emptied pages). Busy daemons are left alone.
import { getHeapStatistics } from "node:v8";
import { fullGc } from "../../runtime.ts";

const CHECK_MS = 10_000;
// CPU time (all threads) below this share of the interval: quiet.
const QUIET_CPU = 0.02;
// Heap committed beyond the objects in it, worth a collection.
const SLACK_BYTES = 16 * 1024 * 1024;

export function startIdleGc(checkMs = CHECK_MS): () => void {
  const gc = fullGc();
  if (!gc) return () => {};
  let last = process.cpuUsage();
  const timer = setInterval(() => {
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    if ((used.user + used.system) / 1000 > checkMs * QUIET_CPU) return;
    const heap = getHeapStatistics();
    if (heap.total_heap_size - heap.used_heap_size < SLACK_BYTES) return;
    gc();
    last = process.cpuUsage();
  }, checkMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
