// The single binary: its size, how long `pounce version` takes, and how long `pounce up`
// takes to answer /healthz, in an empty data dir and in one a previous run left. Medians of
// several runs. Writes the `binary` section of BENCHMARKS.md.
//   npm run build && node --import tsx scripts/bench/binary.ts [--runs 9]
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median, writeSection } from "./report.ts";

const BIN = fileURLToPath(new URL("../../dist/pounce", import.meta.url));
const { values } = parseArgs({ options: { runs: { type: "string", default: "9" } } });
const RUNS = Number(values.runs);

function versionTime(): number {
  const start = performance.now();
  const res = spawnSync(BIN, ["version"], { stdio: "ignore" });
  if (res.status !== 0) throw new Error(`pounce version exited ${res.status}`);
  return performance.now() - start;
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
async function upTime(home: string): Promise<number> {
  const port = await freePort();
  const start = performance.now();
  const proc = spawn(BIN, ["up", "--port", String(port)], {
    env: { ...process.env, POUNCE_HOME: home },
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
        if (res.ok) return performance.now() - start;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    proc.kill("SIGTERM");
    await gone;
  }
}

const ms = (v: number) => `${Math.round(v)} ms`;

const size = statSync(BIN).size;
versionTime(); // the first run pages the file in
const version = Array.from({ length: RUNS }, versionTime);
const fresh: number[] = [];
const warm: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const home = mkdtempSync(join(tmpdir(), "pounce-bench-"));
  try {
    fresh.push(await upTime(home));
    warm.push(await upTime(home));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
const info = spawnSync(BIN, ["version"], { encoding: "utf8" }).stdout.trim();

writeSection(
  "binary",
  `## The single binary

\`${info}\`, ${new Date().toISOString().slice(0, 10)}. Written by \`scripts/bench/binary.ts\`
(\`npm run build && node --import tsx scripts/bench/binary.ts\`); medians of ${RUNS} runs.
Aim: under 120 MB, healthy in under 300 ms.

| what | result |
|---|---|
| \`dist/pounce\` size | ${(size / 1e6).toFixed(1)} MB (${size} bytes) |
| \`pounce version\` | ${ms(median(version))} (min ${ms(Math.min(...version))}) |
| \`pounce up\` to healthy, empty data dir | ${ms(median(fresh))} (min ${ms(Math.min(...fresh))}) |
| \`pounce up\` to healthy, existing data dir | ${ms(median(warm))} (min ${ms(Math.min(...warm))}) |

For scale, \`node -e 0\` on the same machine: ${ms(nodeBaseline())}. "Healthy" is the first
200 from \`GET /healthz\`, polled every 2 ms from the moment the process is spawned; an empty
data dir includes creating the database, the token and the secrets key and writing libSQL's
native addon out of the binary.`,
);
console.log(
  `size ${(size / 1e6).toFixed(1)} MB; version ${ms(median(version))}; ` +
    `up ${ms(median(fresh))} fresh, ${ms(median(warm))} warm`,
);

function nodeBaseline(): number {
  return median(Array.from({ length: RUNS }, () => {
    const start = performance.now();
    spawnSync(process.execPath, ["-e", "0"], { stdio: "ignore" });
    return performance.now() - start;
  }));
}
