// The bounds of one filter evaluation (cel.ts), apart from the CEL library: modules that
// only need the numbers (filter-eval.ts) then do not load it.
import type { Limits } from "./cel-budget.ts";

export const MAX_STEPS = 20_000;
export const FILTER_LIMITS: Limits = { units: 20_000_000, steps: MAX_STEPS, ms: 1000 };
