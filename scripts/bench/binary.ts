// The single binary: its size, how long `pounce version` takes, and how long `pounce up`
// takes to answer /healthz, in an empty data dir and in one a previous run left. Medians of
// several runs. Writes the `binary` section of BENCHMARKS.md.
//   npm run build && npm run bench:binary [-- --runs 9]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median, writeSection } from "./report.ts";
import { helpAndExitIfAsked } from "../usage.ts";

helpAndExitIfAsked(import.meta.url);

const BIN = fileURLToPath(new URL("../../dist/pounce", import.meta.url));
const { values } = parseArgs({ options: { runs: { type: "string", default: "9" } } });
const RUNS = Number(values.runs);
// The real interpreter, not a shim in front of it (pyenv's costs ~80 ms per start here).
const PYTHON = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], {
  encoding: "utf8",
}).trim();

type Run = { wall: number; cpu: number };

// CPU milliseconds a process and its waited-for children have used so far (stat(5):
// utime, stime, cutime, cstime, in clock ticks of 10 ms).
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return fields.slice(11, 15).map(Number).reduce((a, b) => a + b, 0) * 10;
}

function versionRun(): Run {
  const start = performance.now();
  const res = spawnSync("/usr/bin/time", ["-f", "%U %S", BIN, "version"], {
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
  });
  const wall = performance.now() - start;
  if (res.status !== 0) throw new Error(`pounce version failed: ${res.stderr}`);
  const [user, sys] = res.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { wall, cpu: (user + sys) * 1000 };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

// From spawn to the first 200 from /healthz, then a clean stop.
async function upRun(home: string): Promise<Run> {
  const port = await freePort();
  const start = performance.now();
  const proc = spawn(BIN, ["up", "--port", String(port)], {
    env: { ...process.env, POUNCE_HOME: home, POUNCE_PYTHON: PYTHON },
    stdio: "ignore",
  });
  let exited = false;
  const gone = new Promise((resolve) => proc.once("exit", () => resolve(exited = true)));
  try {
    for (;;) {
      if (exited) throw new Error("pounce up exited before it was healthy");
      if (performance.now() - start > 30_000) throw new Error("pounce up not healthy in 30 s");
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.ok) return { wall: performance.now() - start, cpu: cpuMs(proc.pid!) };
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    proc.kill("SIGTERM");
    await gone;
  }
}

const ms = (v: number) => `${Math.round(v)} ms`;

function row(runs: Run[]): string {
  const wall = runs.map((r) => r.wall);
  return `${ms(median(wall))} (min ${ms(Math.min(...wall))}) | ${
    ms(median(runs.map((r) => r.cpu)))
  }`;
}

const size = statSync(BIN).size;
const load = loadavg()[0];
versionRun(); // the first run pages the file in
const version = Array.from({ length: RUNS }, versionRun);
const fresh: Run[] = [];
const warm: Run[] = [];
for (let i = 0; i < RUNS; i++) {
  const home = mkdtempSync(join(tmpdir(), "pounce-bench-"));
  try {
    fresh.push(await upRun(home));
    warm.push(await upRun(home));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
const nodeBaseline = median(Array.from({ length: RUNS }, () => {
  const start = performance.now();
  spawnSync(process.execPath, ["-e", "0"], { stdio: "ignore" });
  return performance.now() - start;
}));
const info = spawnSync(BIN, ["version"], { encoding: "utf8" }).stdout.trim();

writeSection(
  "binary",
  `## The single binary

\`${info}\`, ${new Date().toISOString().slice(0, 10)}. Written by \`scripts/bench/binary.ts\`
(\`npm run build && npm run bench:binary\`); medians of ${RUNS} runs. Aim: under 120 MB,
healthy in under 300 ms.

| what | wall time | CPU time |
|---|---|---|
| \`pounce version\` | ${row(version)} |
| \`pounce up\` to healthy, empty data dir | ${row(fresh)} |
| \`pounce up\` to healthy, existing data dir | ${row(warm)} |

\`dist/pounce\` is ${(size / 1e6).toFixed(1)} MB (${size} bytes). For scale, \`node -e 0\`
took ${ms(nodeBaseline)} in the same runs.

"Healthy" is the first 200 from \`GET /healthz\`, polled every 2 ms from the moment the
process is spawned. CPU time is user + system time of the process and the children it
waited for (its Python check), which other load on the machine changes far less than
wall time. \`POUNCE_PYTHON\` is the real interpreter (\`${PYTHON}\`), so a pyenv shim's
start is not counted. An empty data dir includes creating the database, the token and the
secrets key and writing libSQL's native addon out of the binary. The machine's load
average was ${load.toFixed(1)} on ${cpus().length} cores when the runs began: it is shared
with other work, and wall times grow with it.`,
);
console.log(`version ${row(version)}; up fresh ${row(fresh)}; up warm ${row(warm)}`);
