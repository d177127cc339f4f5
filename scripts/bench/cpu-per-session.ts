// The daemon's own cost of a trivial session (issue 19): its CPU time (utime + stime from
// /proc) ÷ sessions, and the statements and commits per session (the embedded client
// counts them: /metrics), with 16 clients posting to a sync webhook; then the first line's
// p50 for sequential requests. Figures that hold on a shared machine (CPU and statement
// counts) more than wall time does. `--warm-up`: sessions run before the measured ones; V8
// is still compiling the daemon's hot code for thousands of sessions (at 800 measured
// after 100, ~15% of its CPU is the optimizing compiler), so an A/B of a small cut wants
// a few thousand.
//   node --no-warnings --import tsx scripts/bench/cpu-per-session.ts [--sessions 2000]
//     [--warm-up 100] [--clients 16] [--first-lines 200] [--durability fsync] [--prof DIR]
//     [--node-arg=--max-semi-space-size=16 ...] (flags for the daemon's node, to A/B them)
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { BenchDaemon, bundle, http, sleep } from "./daemon.ts";
import { firstLine } from "./figures.ts";
import { percentile } from "./stats.ts";
import { helpAndExitIfAsked } from "../usage.ts";

helpAndExitIfAsked(import.meta.url);

const { values } = parseArgs({
  options: {
    sessions: { type: "string", default: "2000" },
    "warm-up": { type: "string", default: "100" },
    clients: { type: "string", default: "16" },
    "first-lines": { type: "string", default: "200" },
    durability: { type: "string", default: "fsync" },
    prof: { type: "string" },
    "node-arg": { type: "string", multiple: true, default: [] },
    "skip-bundle": { type: "boolean", default: false },
  },
});
const SESSIONS = Number(values.sessions);
const CLIENTS = Number(values.clients);

// The process's CPU time so far, ms: user and system (fields 14 and 15 of /proc/<pid>/stat,
// in ticks).
function cpuMs(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 }; // 100 ticks a second
}

async function counts(d: BenchDaemon): Promise<{ statements: number; commits: number }> {
  const text = (await http(`${d.url}/metrics`, { token: d.token })).body;
  const value = (name: string) =>
    Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, "m"))?.[1] ?? NaN);
  return {
    statements: value("pounce_db_statements_total"),
    commits: value("pounce_db_commits_total"),
  };
}

async function sessions(d: BenchDaemon, n: number, clients: number): Promise<number> {
  let next = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < n) {
      next++;
      const res = await d.post("trivial", {});
      if (res.status !== 200) failed++;
    }
  }));
  if (failed) throw new Error(`${failed} requests failed`);
  return n;
}

if (!values["skip-bundle"]) await bundle();
const d = await BenchDaemon.start({
  runner: "fork",
  durability: values.durability as "fsync" | "process",
  nodeArgs: [
    ...(values.prof ? ["--cpu-prof", `--cpu-prof-dir=${values.prof}`] : []),
    ...values["node-arg"],
  ],
});
try {
  await d.deploy();
  await sleep(1000);
  // Code compiled, statements prepared, caches filled.
  await sessions(d, Number(values["warm-up"]), CLIENTS);
  await sleep(500);
  const pid = d.proc.pid!;
  const load = loadavg()[0];
  const c0 = await counts(d);
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  await sessions(d, SESSIONS, CLIENTS);
  const wall = performance.now() - t0;
  await sleep(300); // the last sessions' end
  const cpu1 = cpuMs(pid);
  const user = cpu1.user - cpu0.user;
  const system = cpu1.system - cpu0.system;
  const c1 = await counts(d);
  // The /metrics scrape itself runs a few statements: none, it reads counters.
  const perSession = {
    cpuMs: (user + system) / SESSIONS,
    statements: (c1.statements - c0.statements) / SESSIONS,
    commits: (c1.commits - c0.commits) / SESSIONS,
    perSecond: SESSIONS / (wall / 1000),
  };
  const fl = await firstLine(d, Number(values["first-lines"]));
  console.log(JSON.stringify(
    {
      load: Number(load.toFixed(2)),
      sessions: SESSIONS,
      clients: CLIENTS,
      cpuMsPerSession: Number(perSession.cpuMs.toFixed(3)),
      ofWhichSystemMs: Number((system / SESSIONS).toFixed(3)),
      statementsPerSession: Number(perSession.statements.toFixed(2)),
      commitsPerSession: Number(perSession.commits.toFixed(2)),
      sessionsPerSecond: Number(perSession.perSecond.toFixed(1)),
      firstLineP50: Number(percentile(fl, 50).toFixed(2)),
      firstLineP99: Number(percentile(fl, 99).toFixed(2)),
    },
    null,
    2,
  ));
} finally {
  await d.stop();
}
