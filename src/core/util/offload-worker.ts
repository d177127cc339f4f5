// The worker thread of offload.ts: runs the jobs it is sent, one at a time.
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { isMainThread, parentPort } from "node:worker_threads";
import { compileFilter, type FilterOutcome, type FilterVars } from "../triggers/cel.ts";
import { FILTER_LIMITS } from "../triggers/cel-limits.ts";
import { type Manifest, parseManifest } from "../projects/manifest.ts";
import { ManifestError } from "../projects/manifest-error.ts";

export type ManifestOutcome = { manifest: Manifest } | { error: string };

export const jobs = {
  filter(input: { filter: string; vars: FilterVars }): FilterOutcome {
    return compileFilter(input.filter).evaluate(input.vars, FILTER_LIMITS);
  },
  manifest(text: string): ManifestOutcome {
    try {
      return { manifest: parseManifest(text) };
    } catch (err) {
      if (err instanceof ManifestError) return { error: err.message };
      throw err;
    }
  },
};

export type Jobs = typeof jobs;

// Imported by offload.ts in the main thread too (for builds without a worker script).
if (!isMainThread) {
  // On Linux a thread has its own niceness: this one yields the CPU to the event loop's.
  try {
    setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 10);
  } catch {
    // Elsewhere, the worker runs at the process's priority.
  }
  parentPort!.on("message", (msg: { kind: keyof Jobs; input: never }) => {
    try {
      parentPort!.postMessage({ output: jobs[msg.kind](msg.input) });
    } catch (err) {
      parentPort!.postMessage({ error: (err as Error).message });
    }
  });
  parentPort!.postMessage({ ready: true });
}
