// `npm run bench:peers`: Pounce, Restate and DBOS back to back in one run, on this
// machine, with the same workloads (system.ts), and the sparse-traffic floor; writes the
// `peers` section of BENCHMARKS.md. BENCH_QUICK=1 (or --quick): fewer samples, to check
// that the harness works (its figures mean little).
//   npm run bench:peers [-- --runs 3] [-- --quick] [-- --out FILE]
import { parseArgs } from "node:util";
import { sleep } from "../daemon.ts";
import { sparseFloor } from "../floor.ts";
import { BenchRun, COMMON_OPTIONS } from "../harness.ts";
import { writeSection } from "../report.ts";
import { fmt, summarize, type Summary } from "../stats.ts";
import { Dbos } from "./dbos.ts";
import { Pounce } from "./pounce.ts";
import { Restate } from "./restate.ts";
import { installPeers, VERSIONS } from "./scratch.ts";
import type { System, Throughput } from "./system.ts";
import { helpAndExitIfAsked } from "../../usage.ts";

helpAndExitIfAsked(import.meta.url);

const { values } = parseArgs({ options: COMMON_OPTIONS });
const run = new BenchRun(values);
const Q = run.quick;
const RUNS = run.runs;
const N = {
  steps: Q ? 200 : 1000,
  requests: Q ? 20 : 200,
  clients: 16,
  seconds: Q ? 2 : 10,
  sparse: Q ? 6 : 40,
  gapMs: 500,
  idleMs: Q ? 2_000 : 40_000, // as `npm run bench`: V8 gives memory back after a while
};

const { say } = run;

type Figures = {
  steps: Summary;
  first: Summary;
  sparse: Summary;
  tput: Summary;
  latency: Summary;
  cpuMs: number;
  idle: { mb: number; what: string };
  after: { mb: number; what: string };
  workflows: number;
};

async function sequential(s: System, count: number, gapMs = 0): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    if (gapMs) await sleep(gapMs);
    times.push(await s.firstLine());
  }
  return times;
}

async function measure(s: System): Promise<Figures> {
  try {
    say(`${s.name}: idle ${N.idleMs / 1000} s`);
    await sleep(N.idleMs);
    const idle = s.memory();
    const steps = await run.repeat(`${s.name}: ${N.steps} steps`, () => s.steps(N.steps));
    const first = await run.repeat(
      `${s.name}: ${N.requests} requests → first line`,
      () => sequential(s, N.requests),
    );
    say(`${s.name}: ${N.sparse} requests, one every ${N.gapMs} ms → first line`);
    const sparse = await sequential(s, N.sparse, N.gapMs);
    const tput: Throughput[] = await run.repeat(
      `${s.name}: ${N.clients} clients for ${N.seconds} s`,
      () => s.throughput(N.clients, N.seconds),
    );
    await sleep(2000);
    const after = s.memory();
    const failed = tput.reduce((n, t) => n + t.failed, 0);
    if (failed) say(`${s.name}: ${failed} requests failed under load`);
    return {
      steps: summarize(steps),
      first: summarize(first),
      sparse: summarize([sparse]),
      tput: summarize(tput.map((t) => [t.perSecond])),
      latency: summarize(tput.map((t) => t.latencies)),
      cpuMs: summarize(tput.map((t) => [t.cpuMsPerWorkflow])).median,
      idle,
      after,
      workflows: tput.reduce((n, t) => n + t.answered, 0),
    };
  } finally {
    await s.stop();
  }
}

const failures: string[] = [];
async function bench(name: string, start: () => Promise<System>): Promise<Figures | undefined> {
  try {
    say(`${name}: starting`);
    return await measure(await start());
  } catch (err) {
    const why = (err as Error).message.split("\n")[0];
    failures.push(`${name}: ${why}`);
    say(`${name} FAILED: ${(err as Error).stack ?? err}`);
    return undefined;
  }
}

installPeers(say);
say(`floor: ${N.sparse} × (${N.gapMs} ms idle, one fsync'd commit + one fork)`);
const floor = summarize([await sparseFloor(N.sparse, N.gapMs)]);
const pounce = await bench("Pounce", () => Pounce.start());
const restate = await bench("Restate", () => Restate.start());
let dbosSettings = "";
const dbos = await bench("DBOS", async () => {
  const d = await Dbos.start(say);
  dbosSettings = d.settings;
  return d;
});

// --- the report ------------------------------------------------------------------------
say("writing BENCHMARKS.md");
const peers = [restate, dbos];
const cell = (f: Figures | undefined, pick: (f: Figures) => number, unit = "ms") =>
  f ? fmt(pick(f), unit) : "–";
const withRuns = (s: Summary, unit = "ms") =>
  `${fmt(s.median, unit)}${
    s.low === s.high ? "" : ` (${fmt(s.low, unit).replace(` ${unit}`, "")}–${fmt(s.high, unit)})`
  }`;
const runsCell = (f: Figures | undefined, pick: (f: Figures) => Summary, unit = "ms") =>
  f ? withRuns(pick(f), unit) : "–";
// Pounce ÷ the best peer (lowest, or highest when more is better).
function vsBest(pick: (f: Figures) => number, more = false): string {
  const values = peers.filter((p) => p).map((p) => pick(p!));
  if (!pounce || !values.length) return "–";
  const best = more ? Math.max(...values) : Math.min(...values);
  return `${(pick(pounce) / best).toFixed(2)}×`;
}
const met = (ok: boolean | undefined) => (ok === undefined ? "–" : ok ? "✅" : "❌");
const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
const p50 = (s: Summary) => s.median;

const stepTarget = pounce && restate
  ? pounce.steps.median <= 0.5 * restate.steps.median
  : undefined;
const firstTarget = pounce && restate && dbos
  ? pounce.first.median <= Math.min(restate.first.median, dbos.first.median)
  : undefined;
const tputTarget = pounce && restate ? pounce.tput.median >= restate.tput.median : undefined;
const sparseRatio = pounce ? pounce.sparse.median / floor.median : NaN;

const versions = Object.entries(VERSIONS).map(([n, v]) => `\`${n}@${v}\``).join(", ");

const body = `
## Peers: Pounce, Restate and DBOS in the same run

${run.machine}; ${versions}${dbosSettings ? `; DBOS on ${dbosSettings}` : ""}; ${run.load}.
Written by \`scripts/bench/peers/run.ts\` (\`npm run bench:peers\`${
  Q ? ", **quick mode**: too few samples to compare" : ""
}, ${run.minutes} min).${failures.length ? `\n\n**Failed:** ${failures.join("; ")}.` : ""}

| figure | Pounce | Restate | DBOS | Pounce ÷ best peer | target | met |
|---|---|---|---|---|---|---|
${
  row([
    `durable step p50 (workflow of ${N.steps.toLocaleString("en")} steps)`,
    runsCell(pounce, (f) => f.steps),
    runsCell(restate, (f) => f.steps),
    runsCell(dbos, (f) => f.steps),
    vsBest((f) => p50(f.steps)),
    "≤ 0.5× Restate's",
    met(stepTarget),
  ])
}
${
  row([
    "request → handler's first line p50, sequential",
    runsCell(pounce, (f) => f.first),
    runsCell(restate, (f) => f.first),
    runsCell(dbos, (f) => f.first),
    vsBest((f) => p50(f.first)),
    "≤ both peers",
    met(firstTarget),
  ])
}
${
  row([
    "… p99",
    cell(pounce, (f) => f.first.p99),
    cell(restate, (f) => f.first.p99),
    cell(dbos, (f) => f.first.p99),
    vsBest((f) => f.first.p99),
    "",
    "",
  ])
}
${
  row([
    `one-step workflows/s, ${N.clients} clients`,
    runsCell(pounce, (f) => f.tput, "/s"),
    runsCell(restate, (f) => f.tput, "/s"),
    runsCell(dbos, (f) => f.tput, "/s"),
    vsBest((f) => f.tput.median, true),
    "≥ Restate's",
    met(tputTarget),
  ])
}
${
  row([
    "… request latency under that load p50",
    cell(pounce, (f) => f.latency.median),
    cell(restate, (f) => f.latency.median),
    cell(dbos, (f) => f.latency.median),
    vsBest((f) => f.latency.median),
    "",
    "",
  ])
}
${
  row([
    "CPU per workflow under that load",
    cell(pounce, (f) => f.cpuMs),
    cell(restate, (f) => f.cpuMs),
    cell(dbos, (f) => f.cpuMs),
    vsBest((f) => f.cpuMs),
    "Pounce's daemon ≤ 1.5 ms",
    met(pounce ? pounce.cpuMs <= 1.5 : undefined),
  ])
}
${
  row([
    `memory idle (${N.idleMs / 1000} s after start)`,
    cell(pounce, (f) => f.idle.mb, "MB"),
    cell(restate, (f) => f.idle.mb, "MB"),
    cell(dbos, (f) => f.idle.mb, "MB"),
    vsBest((f) => f.idle.mb),
    "≤ 80 MB",
    met(pounce ? pounce.idle.mb <= 80 : undefined),
  ])
}
${
  row([
    "memory after the load",
    cell(pounce, (f) => f.after.mb, "MB"),
    cell(restate, (f) => f.after.mb, "MB"),
    cell(dbos, (f) => f.after.mb, "MB"),
    vsBest((f) => f.after.mb),
    "",
    "",
  ])
}
${
  row([
    `sparse: one request every ${N.gapMs / 1000} s → first line p50`,
    cell(pounce, (f) => f.sparse.median),
    cell(restate, (f) => f.sparse.median),
    cell(dbos, (f) => f.sparse.median),
    vsBest((f) => f.sparse.median),
    `≤ 2× floor (${fmt(floor.median)}; Pounce ${
      Number.isFinite(sparseRatio) ? `${sparseRatio.toFixed(1)}×` : "–"
    })`,
    met(pounce ? sparseRatio <= 2 : undefined),
  ])
}
${
  pounce
    ? `\nPounce's Python processes after the load: ${
      pounce.after.what.replace(/^daemon \(Python: |\)$/g, "")
    }.\n`
    : ""
}
**Method.** The three systems run one after the other on the same machine, each alone,
each started fresh, and each gets the same workloads from the same HTTP client
(keep-alive, loopback), written once in \`scripts/bench/peers/\`: Pounce is \`npm run
bench\`'s daemon and project (fork server, \`--durability fsync\`, Python handlers);
Restate is \`restate-server\` as shipped (its data in a fresh dir) with a TypeScript service
on its SDK, registered through the admin API and invoked through the ingress; DBOS is a
TypeScript app whose \`node:http\` server calls a registered workflow per request, on
PostgreSQL from apt in a fresh database. Every workflow is the same: a trivial durable
step (\`@activity\`, \`ctx.run\`, \`DBOS.runStep\`) that returns its argument. *Durable step*:
one workflow of ${
  N.steps.toLocaleString("en")
} steps, each step timed inside the handler (the first tenth
dropped as warm-up). *First line*: ${N.requests} sequential requests; the handler's first line reads
the wall clock (\`performance.timeOrigin + performance.now()\` in Node, \`time.time()\` in
Python) and answers it, and the figure is that minus the client's send time. *Sparse*:
the same with ${N.gapMs} ms of idle before each of ${N.sparse} requests; its floor is what the
machine charges after the same idle gap for one fsync'd libSQL commit followed by one
\`os.fork()\` of a Python that imported the runtime (\`sparseFloor\` in
\`scripts/bench/floor.ts\`). *Workflows/s*: ${N.clients} clients posting back to back for ${N.seconds} s,
counting the workflows answered inside the window. *CPU per workflow*: user + system time
(\`/proc/<pid>/stat\`, all threads) over that window ÷ workflows answered — Pounce's
daemon process (not its Python runners), Restate's server and SDK process, DBOS's app and
the PostgreSQL backends serving it. *Memory*: VmRSS after ${
  N.idleMs / 1000
} s idle and 2 s after the
load — Pounce's daemon (Python processes not counted), Restate's server + SDK process,
DBOS's app (PostgreSQL not counted). Figures with runs were repeated ${RUNS} times: the
cell is the median of all samples and, in parentheses, the lowest and highest run median.
"Pounce ÷ best peer" compares with the lower peer (the higher for workflows/s). The peers
are installed by the script into a scratch dir (\`PEERS_DIR\`, default \`/tmp/pounce-peers\`),
never into this repository; \`PEERS_PG_URL\` points DBOS at another PostgreSQL.
`;

writeSection("peers", body, values.out);
say(`done in ${run.minutes} min`);
if (failures.length) process.exit(1);
