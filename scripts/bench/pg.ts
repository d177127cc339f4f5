// `npm run bench:pg`: Pounce on PostgreSQL beside libSQL, in one run on this machine
// (issue 20): a durable step, webhook → first line and sessions per second (16 clients) on
// one node of each; then sessions per second with 1, 2 and 3 nodes on one database behind
// a round-robin client, and where PostgreSQL's time goes meanwhile (its sessions sampled).
// Writes the `postgres` section of BENCHMARKS.md. The nodes share this machine's cores.
//   npm run bench:pg [-- --runs 3] [-- --quick] [-- --server URL] [-- --prof DIR] [-- --out FILE]
// --server: a PostgreSQL whose user may create databases (default: the role pounce_test
// that `scripts/provision.sh postgres` makes); every set-up gets a fresh database, dropped
// after it. --prof DIR: the PostgreSQL nodes run with `node --cpu-prof` (profiles in DIR).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { BenchDaemon, bundle, sleep } from "./daemon.ts";
import { activitySteps, firstLine, throughput } from "./figures.ts";
import { BenchRun, COMMON_OPTIONS } from "./harness.ts";
import { cpuMs } from "./peers/system.ts";
import { writeSection } from "./report.ts";
import { fmt, spread, summarize, type Summary } from "./stats.ts";
import { dropDatabase, freshDatabase } from "../../test/helpers/pg.ts";
import { helpAndExitIfAsked } from "../usage.ts";

helpAndExitIfAsked(import.meta.url);

const { values } = parseArgs({
  options: {
    ...COMMON_OPTIONS,
    server: {
      type: "string",
      default: process.env.POUNCE_TEST_PG ||
        "postgres://pounce_test:pounce_test@127.0.0.1:5432/postgres",
    },
    prof: { type: "string" },
  },
});
const run = new BenchRun(values);
const Q = run.quick;
const N = {
  steps: Q ? 200 : 2000,
  requests: Q ? 20 : 200,
  clients: 16,
  seconds: Q ? 2 : 10,
  nodes: [1, 2, 3],
};
const SAMPLE_MS = 20;

const say = run.say;

type Backend = "libSQL" | "PostgreSQL";

// `count` nodes on one fresh database, the benchmark project deployed through the first.
type Cluster = { nodes: BenchDaemon[]; close(): Promise<void> };

async function startCluster(backend: Backend, count: number): Promise<Cluster> {
  let db: string;
  let drop: () => Promise<void>;
  if (backend === "PostgreSQL") {
    db = await freshDatabase(values.server);
    drop = () => dropDatabase(db);
  } else {
    const dir = mkdtempSync(join(tmpdir(), "pounce-bench-db-"));
    db = `file:${join(dir, "pounce.db")}`;
    drop = () => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
  }
  const env = { POUNCE_SECRET_KEY: randomBytes(32).toString("hex") };
  const prof = backend === "PostgreSQL" && values.prof
    ? ["--cpu-prof", `--cpu-prof-dir=${values.prof}`]
    : [];
  const nodes: BenchDaemon[] = [];
  const close = async () => {
    await Promise.all(nodes.map((d) => d.stop()));
    await drop();
  };
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(
        await BenchDaemon.start({ runner: "fork", durability: "fsync", db, env, nodeArgs: prof }),
      );
    }
    await nodes[0].deploy();
    for (const d of nodes.slice(1)) d.sameHooksAs(nodes[0]);
    await sleep(1000); // the fork servers warm up
    for (const d of nodes) await firstLine(d, 1);
    return { nodes, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function withCluster<T>(
  backend: Backend,
  count: number,
  fn: (c: Cluster) => Promise<T>,
): Promise<T> {
  const c = await startCluster(backend, count);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

// PostgreSQL's side of a run, from its sessions on the nodes' database sampled every
// SAMPLE_MS: how often the write lock (pg_advisory_xact_lock) was held, whether its holder
// was then running a statement (or committing) or waiting for its node to send the next
// one ("idle in transaction": the node's round trips and its own work inside the
// transaction), how many sessions queued for the lock; and the backends' CPU time.
type PgSide = {
  samples: number;
  held: number;
  holderActive: number;
  holderIdle: number;
  waiters: number;
  cpuMs: number;
};

async function watchPostgres(db: string, ms: number): Promise<() => Promise<PgSide>> {
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  const pids = async () =>
    (await client.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )).rows.map((r) => r.pid);
  const before = new Map((await pids()).map((pid) => [pid, cpuMs([pid])]));
  const side: PgSide = {
    samples: 0,
    held: 0,
    holderActive: 0,
    holderIdle: 0,
    waiters: 0,
    cpuMs: 0,
  };
  const until = Date.now() + ms;
  const sampling = (async () => {
    while (Date.now() < until) {
      const { rows: [r] } = await client.query<Record<string, string>>(`
        SELECT
          count(*) FILTER (WHERE l.granted AND a.state = 'active') AS active,
          count(*) FILTER (WHERE l.granted AND a.state LIKE 'idle in transaction%') AS idle,
          count(*) FILTER (WHERE NOT l.granted) AS waiting
        FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.database =
          (SELECT oid FROM pg_database WHERE datname = current_database())`);
      side.samples++;
      side.holderActive += Number(r.active);
      side.holderIdle += Number(r.idle);
      side.held += Number(r.active) + Number(r.idle) > 0 ? 1 : 0;
      side.waiters += Number(r.waiting);
      await sleep(SAMPLE_MS);
    }
  })();
  return async () => {
    await sampling;
    // Connections opened during the run started from nothing.
    for (const pid of await pids()) side.cpuMs += cpuMs([pid]) - (before.get(pid) ?? 0);
    await client.end();
    return side;
  };
}

type Load = {
  perSecond: number;
  latencies: number[];
  answered: number;
  nodeCpuMs: number; // the daemons' CPU per session answered
  pg?: PgSide;
};

async function load(nodes: BenchDaemon[]): Promise<Load> {
  const pids = nodes.map((d) => d.proc.pid!);
  const db = nodes[0].db;
  const stop = /^postgres/.test(db) ? await watchPostgres(db, N.seconds * 1000) : undefined;
  const cpu0 = cpuMs(pids);
  const t = await throughput(nodes, N.clients, N.seconds);
  const cpu = cpuMs(pids) - cpu0; // (and the idle second throughput() waits after the load)
  const pgSide = await stop?.();
  const per = Math.max(1, t.answered);
  if (pgSide) pgSide.cpuMs /= per;
  return { ...t, nodeCpuMs: cpu / per, pg: pgSide };
}

type OneNode = { steps: Summary; first: Summary; loads: Load[] };

async function oneNode(backend: Backend): Promise<OneNode> {
  return await withCluster(backend, 1, async ({ nodes: [d] }) => {
    const steps = await run.repeat(`${backend}: durable steps`, () => activitySteps(d, N.steps));
    const first = await run.repeat(
      `${backend}: webhook → first line`,
      () => firstLine(d, N.requests),
    );
    const loads = await run.repeat(
      `${backend}: ${N.clients} clients, 1 node`,
      () => load([d]),
    );
    return { steps: summarize(steps), first: summarize(first), loads };
  });
}

say("bundling the daemon");
await bundle();
const pgVersion = await (async () => {
  const client = new pg.Client({ connectionString: values.server });
  await client.connect();
  try {
    return String((await client.query("SHOW server_version")).rows[0].server_version)
      .split(" ")[0];
  } finally {
    await client.end();
  }
})();

const single: Record<Backend, OneNode> = {
  libSQL: await oneNode("libSQL"),
  PostgreSQL: await oneNode("PostgreSQL"),
};
const scaled: Record<Backend, Load[][]> = { libSQL: [], PostgreSQL: [] };
for (const n of N.nodes) {
  for (const backend of ["libSQL", "PostgreSQL"] as Backend[]) {
    scaled[backend].push(
      n === 1 ? single[backend].loads : await withCluster(
        backend,
        n,
        (c) => run.repeat(`${backend}: ${N.clients} clients, ${n} nodes`, () => load(c.nodes)),
      ),
    );
  }
}

// --- the report ------------------------------------------------------------------------
say("writing BENCHMARKS.md");
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const withP99 = (s: Summary) => `${fmt(s.median)} (${fmt(s.p99)})`;
const rate = (loads: Load[]) => summarize(loads.map((l) => [l.perSecond]));
const rateCell = (loads: Load[]) => {
  const s = rate(loads);
  const runs = spread(s, "/s");
  return `${fmt(s.median, "/s")}${runs ? ` (${runs})` : ""}`;
};
const latency = (loads: Load[]) => summarize(loads.map((l) => l.latencies));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const nodeCpu = (loads: Load[]) => fmt(mean(loads.map((l) => l.nodeCpuMs)));
const pgCpu = (loads: Load[]) => fmt(mean(loads.map((l) => l.pg?.cpuMs ?? NaN)));
const ratio = (pgValue: number, libValue: number) => `${(pgValue / libValue).toFixed(2)}×`;
const [L, P] = [single.libSQL, single.PostgreSQL];
const pct = (part: number, whole: number) => `${Math.round((100 * part) / Math.max(1, whole))} %`;
function lockRow(n: number, loads: Load[]): string {
  const s = loads.map((l) => l.pg!);
  const sum = (pick: (p: PgSide) => number) => s.reduce((a, p) => a + pick(p), 0);
  const samples = sum((p) => p.samples);
  const held = sum((p) => p.held);
  return row([
    n,
    pct(held, samples),
    pct(sum((p) => p.holderActive), held),
    pct(sum((p) => p.holderIdle), held),
    (sum((p) => p.waiters) / Math.max(1, samples)).toFixed(1),
    pgCpu(loads),
  ]);
}

const body = `
## PostgreSQL beside libSQL; 1, 2 and 3 nodes

${run.machine}, PostgreSQL ${pgVersion} (apt, default settings, on
this machine); ${run.load}. Written by \`scripts/bench/pg.ts\` (\`npm run bench:pg\`${
  Q ? ", **quick mode**: too few samples to compare" : ""
}, ${run.minutes} min). Every set-up is started fresh: nodes of the fork server with
\`--durability fsync\` (as \`npm run bench\`), each with its own data dir, on one libSQL file
or one fresh PostgreSQL database; the project deployed through the first node. Figures
with runs were repeated ${run.runs} times: median (p99) of all samples, and the lowest – highest
run median.

| one node | libSQL file | PostgreSQL | PostgreSQL ÷ libSQL |
|---|---|---|---|
${
  row([
    `durable activity step, p50 (p99) (${N.steps.toLocaleString("en")} steps)`,
    withP99(L.steps),
    withP99(P.steps),
    ratio(P.steps.median, L.steps.median),
  ])
}
${
  row([
    `webhook → handler's first line, p50 (p99) (${N.requests} sequential)`,
    withP99(L.first),
    withP99(P.first),
    ratio(P.first.median, L.first.median),
  ])
}
${
  row([
    `trivial sessions per second, ${N.clients} clients`,
    rateCell(L.loads),
    rateCell(P.loads),
    ratio(rate(P.loads).median, rate(L.loads).median),
  ])
}
${
  row([
    "… request latency, p50 (p99)",
    withP99(latency(L.loads)),
    withP99(latency(P.loads)),
    ratio(latency(P.loads).median, latency(L.loads).median),
  ])
}
${
  row([
    "… the daemon's CPU per session",
    nodeCpu(L.loads),
    nodeCpu(P.loads),
    ratio(mean(P.loads.map((l) => l.nodeCpuMs)), mean(L.loads.map((l) => l.nodeCpuMs))),
  ])
}
${row(["… PostgreSQL's CPU per session (its backends)", "", pgCpu(P.loads), ""])}

**Several nodes on one database**, ${N.clients} clients sending each request to the next node
in turn (round robin), ${N.seconds} s per run. **All the nodes, their Python runners,
PostgreSQL and the client share this machine's ${cpus().length} cores**: a node adds no CPU
here, so these figures show what coordinating through the database costs, not what more
machines would give.

| nodes | libSQL file: sessions/s | PostgreSQL: sessions/s | PostgreSQL: latency p50 (p99) | PostgreSQL: nodes' CPU per session |
|---|---|---|---|---|
${
  N.nodes.map((n, i) =>
    row([
      n,
      rateCell(scaled.libSQL[i]),
      rateCell(scaled.PostgreSQL[i]),
      withP99(latency(scaled.PostgreSQL[i])),
      nodeCpu(scaled.PostgreSQL[i]),
    ])
  ).join("\n")
}

**Where PostgreSQL's time goes** under that load: its sessions on the nodes' database,
sampled every ${SAMPLE_MS} ms. Every write transaction takes one advisory lock first
(docs/scale.md), so "held" is the share of samples in which some node held the write
lock; its holder was then either running a statement (or committing) or waiting for its
node to send the next one ("idle in transaction": the round trip and the node's own work
inside the transaction, which every other writer waits for).

| nodes | write lock held | holder running a statement | holder waiting for its node | sessions queued for the lock (mean) | PostgreSQL's CPU per session |
|---|---|---|---|---|---|
${N.nodes.map((n, i) => lockRow(n, scaled.PostgreSQL[i])).join("\n")}
`;

writeSection("postgres", body, values.out);
say(`done in ${run.minutes} min`);
