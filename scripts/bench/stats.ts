// Percentiles of samples and the spread of repeated runs.
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

// One figure over repeated runs: the median and p99 of every sample of every run, and
// the lowest and highest of the runs' medians (how much a run moves on this machine).
export type Summary = { median: number; p99: number; low: number; high: number; n: number };

export function summarize(runs: number[][]): Summary {
  const all = runs.flat();
  const medians = runs.filter((r) => r.length).map((r) => percentile(r, 50));
  return {
    median: percentile(all, 50),
    p99: percentile(all, 99),
    low: Math.min(...medians),
    high: Math.max(...medians),
    n: all.length,
  };
}

export function fmt(value: number, unit = "ms"): string {
  if (!Number.isFinite(value)) return "–";
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3;
  return `${value.toFixed(digits)} ${unit}`;
}

export function spread(s: Summary, unit = "ms"): string {
  return s.low === s.high ? "" : `${fmt(s.low, unit)} – ${fmt(s.high, unit)}`;
}
