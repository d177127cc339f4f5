// What `npm run bench:peers` measures on each system (Pounce, Restate, DBOS): the same
// workloads, driven by the same HTTP client (daemon.ts), timed the same way.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { http, rssMb, sleep } from "../daemon.ts";
import { SCRATCH } from "./scratch.ts";

export type Throughput = {
  perSecond: number;
  latencies: number[];
  answered: number;
  failed: number;
  // CPU time (user + system) of the system's own processes per workflow answered.
  cpuMsPerWorkflow: number;
};

export interface System {
  readonly name: string;
  // One workflow of `n` trivial durable steps: each step's duration (ms) as the handler saw it.
  steps(n: number): Promise<number[]>;
  // One request, client send → the handler's first line (ms).
  firstLine(): Promise<number>;
  throughput(clients: number, seconds: number): Promise<Throughput>;
  // Resident memory of the system's processes (MB), and what they are.
  memory(): { mb: number; what: string };
  stop(): Promise<void>;
}

export const wallMs = () => performance.timeOrigin + performance.now();

// Restate and DBOS are driven alike: POST /<path>/<workflow> with a JSON body, the
// workflow's result as the answer.
export class HttpInvoked {
  constructor(readonly base: string) {}

  async call(workflow: string, body: unknown): Promise<string> {
    const res = await http(`${this.base}/${workflow}`, {
      method: "POST",
      body: JSON.stringify(body ?? null),
    });
    if (res.status !== 200) throw new Error(`${this.base}/${workflow}: ${res.status} ${res.body}`);
    return res.body;
  }

  async steps(n: number): Promise<number[]> {
    const times = JSON.parse(await this.call("steps", n)) as number[];
    return times.slice(Math.floor(n / 10)); // warm-up
  }

  async firstLine(): Promise<number> {
    const sent = wallMs();
    return Number(await this.call("first", null)) - sent;
  }

  async throughput(
    clients: number,
    seconds: number,
    cpuOf: () => number,
  ): Promise<Throughput> {
    const until = Date.now() + seconds * 1000;
    const latencies: number[] = [];
    let failed = 0;
    let inWindow = 0; // answered before the window closed (as Pounce's count)
    const cpu0 = cpuOf();
    await Promise.all(Array.from({ length: clients }, async () => {
      while (Date.now() < until) {
        const t = performance.now();
        try {
          await this.call("trivial", null);
          latencies.push(performance.now() - t);
          if (Date.now() <= until) inWindow++;
        } catch {
          failed++;
        }
      }
    }));
    const cpu = cpuOf() - cpu0;
    return {
      perSecond: inWindow / seconds,
      latencies,
      answered: latencies.length,
      failed,
      cpuMsPerWorkflow: cpu / Math.max(1, latencies.length),
    };
  }
}

const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

// CPU time (user + system, all threads, not children) of processes, in ms.
export function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    } catch { /* gone */ }
  }
  return ticks * TICK_MS;
}

export const rssOf = (pids: number[]) => pids.reduce((sum, pid) => sum + rssMb(pid), 0);

// A child process of the benchmark, its output in a log file; killed with the benchmark.
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

export function startProcess(
  command: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string>; log: string },
): ChildProcess {
  const out = openSync(opts.log, "w");
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", out, out],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

// Polls until `ok` holds (or the process died / time ran out).
export async function waitFor(
  what: string,
  ok: () => Promise<boolean>,
  opts: { child?: ChildProcess; log?: string; ms?: number } = {},
): Promise<void> {
  const until = Date.now() + (opts.ms ?? 60_000);
  while (Date.now() < until) {
    if (opts.child && opts.child.exitCode !== null) break;
    try {
      if (await ok()) return;
    } catch { /* not yet */ }
    await sleep(100);
  }
  const log = opts.log ? readFileSync(opts.log, "utf8").slice(-4000) : "";
  throw new Error(`${what} did not come up${log ? `:\n${log}` : ""}`);
}

// A peer's Node app (apps/<name>.mjs, beside the peers in the scratch dir), its output in
// <name>.log there; once it says it is listening.
export async function startApp(name: string, env: Record<string, string>): Promise<ChildProcess> {
  const log = join(SCRATCH, `${name}.log`);
  const app = startProcess(process.execPath, [`${name}.mjs`], { cwd: SCRATCH, log, env });
  try {
    await waitFor(
      `the app ${name}`,
      () => Promise.resolve(/listening/.test(readFileSync(log, "utf8"))),
      { child: app, log },
    );
  } catch (err) {
    await stopProcess(app);
    throw err;
  }
  return app;
}
