// Evaluates trigger and subscription filters on an event without holding the event loop:
// each filter first runs here under a small budget, which the common filter on the common
// event fits in (microseconds); one that does not is run again in a worker thread
// (offload.ts) under the full budget. Filters are pure, so the second run decides alone.
import type { FilterOutcome, FilterVars } from "./cel.ts";
import type { Limits } from "./cel-budget.ts";
import { FILTER_LIMITS } from "./cel-limits.ts";
import { Offload, OffloadError } from "../util/offload.ts";

// What may run in the event loop: about a millisecond or two.
export const INLINE_LIMITS: Limits = { units: 100_000, steps: FILTER_LIMITS.steps, ms: 2 };

// The worker stops a filter at FILTER_LIMITS.ms itself; it is ended if it does not.
const worker = new Offload("filter", 2 * FILTER_LIMITS.ms);

export async function evaluateFilters(
  filters: readonly string[],
  vars: FilterVars,
): Promise<FilterOutcome[]> {
  return await Promise.all(filters.map((f) => evaluateFilter(f, vars)));
}

export async function evaluateFilter(filter: string, vars: FilterVars): Promise<FilterOutcome> {
  if (!filter.trim()) return { match: true };
  let compiled;
  try {
    // The CEL library is loaded with the first filter (a daemon without any leaves it out).
    compiled = (await import("./cel.ts")).compileFilter(filter);
  } catch (err) {
    return { match: false, error: (err as Error).message };
  }
  const inline = compiled.evaluate(vars, INLINE_LIMITS);
  if (!inline.overBudget) return inline;
  try {
    return await worker.run({ filter, vars });
  } catch (err) {
    if (!(err instanceof OffloadError)) throw err;
    return err.overBudget
      ? { match: false, error: `filter exceeded its budget: ${err.message}`, overBudget: true }
      : { match: false, error: `filter: not evaluated: ${err.message}` };
  }
}
