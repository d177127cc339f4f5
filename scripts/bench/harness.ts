// What the benchmark scripts that write a section of BENCHMARKS.md share: their common
// options, progress on stderr, repeated runs, and what a section says about the run.
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { ROOT } from "./daemon.ts";

// --runs N (default 3; 1 with --quick), --quick (or BENCH_QUICK=1: fewer samples, to check
// that the script works), --out FILE (instead of BENCHMARKS.md). Spread into parseArgs'
// options beside the script's own.
export const COMMON_OPTIONS = {
  runs: { type: "string" },
  quick: { type: "boolean", default: false },
  out: { type: "string" },
} as const;

export class BenchRun {
  readonly quick: boolean;
  readonly runs: number;
  private readonly began = Date.now();
  private readonly load0 = loadavg()[0];

  constructor(values: { runs?: string; quick?: boolean }) {
    this.quick = values.quick === true || process.env.BENCH_QUICK === "1";
    this.runs = Number(values.runs ?? (this.quick ? 1 : 3));
  }

  readonly say = (what: string): void =>
    console.error(`[${((Date.now() - this.began) / 1000).toFixed(0).padStart(4)} s] ${what}`);

  // `fn` run `runs` times, one after the other.
  async repeat<T>(what: string, fn: (run: number) => Promise<T>): Promise<T[]> {
    const out: T[] = [];
    for (let r = 0; r < this.runs; r++) {
      this.say(`${what}, run ${r + 1}/${this.runs}`);
      out.push(await fn(r));
    }
    return out;
  }

  get minutes(): string {
    return ((Date.now() - this.began) / 60_000).toFixed(1);
  }

  // "Commit `…`, <date>; <cores> (<model>), Node <version>"
  get machine(): string {
    return `Commit \`${commitLabel()}\`, ${
      new Date().toISOString().slice(0, 10)
    }; ${cpus().length} cores
(${cpus()[0]?.model.trim()}), Node ${process.version}`;
  }

  // "load average <at the start> at the start and <now> at the end"
  get load(): string {
    return `load average ${this.load0.toFixed(1)} at the start and ${
      loadavg()[0].toFixed(1)
    } at the end`;
  }
}

// The commit measured, `-dirty` when tracked files were changed.
export function commitLabel(): string {
  const commit = git("rev-parse", "--short=12", "HEAD") || "unknown";
  return commit + (git("status", "--porcelain", "--untracked-files=no") ? "-dirty" : "");
}

function git(...args: string[]): string {
  try {
    return execFileSync("git", args, {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "";
  }
}
