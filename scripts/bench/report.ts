// BENCHMARKS.md is made of sections, each owned by one benchmark script: a script rewrites
// its own section (between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`) and leaves the
// others alone. A new section is appended.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const BENCHMARKS = fileURLToPath(new URL("../../BENCHMARKS.md", import.meta.url));

const HEADER =
  "# Benchmarks\n\nMeasured on the project's machine (2 cores, 24 GiB) by the scripts in " +
  "`scripts/bench/`; each section says which script wrote it and how to run it again.\n";

export function writeSection(name: string, body: string, file = BENCHMARKS): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, "utf8") : HEADER;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const next = from >= 0 && to > from
    ? text.slice(0, from) + block + text.slice(to + end.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
