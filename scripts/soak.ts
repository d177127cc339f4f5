// `npm run soak`: a daemon under a steady webhook rate for SOAK_SECONDS (default 600),
// with durable sessions that run activities, sleep, subscribe and wait for events. It
// samples the daemon's memory (VmRSS) and open file descriptors, and reports whether they
// stayed flat and whether anything failed: non-2xx answers, sessions that did not
// complete, ERROR lines in the daemon's log. The result is the SOAK section of
// BENCHMARKS.md. Exit 1 when the run was not clean.
//
//   SOAK_SECONDS=60 SOAK_RATE=5 npm run soak
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { median, writeSection } from "./bench/report.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const RATE = Number(process.env.SOAK_RATE ?? 5); // webhooks per second
const SAMPLE_MS = 5_000;
// "Flat": the last third's median against the second third's (the first is warm-up).
const RSS_GROWTH = 0.15;
const FD_GROWTH = 16;

const HANDLER = `
import json
import time

import autokitteh


@autokitteh.activity
def work(n):
    return sum(range(n))


def on_hook(event):
    n = json.loads(event.data.body.text)["n"]
    print("start", n)
    work(1000)
    time.sleep(0.2)
    sub = autokitteh.subscribe("poke", "data.body.json.n == %d" % n)
    got = autokitteh.next_event(sub, timeout=2)
    autokitteh.unsubscribe(sub)
    work(10)
    print("end", n, got is not None)
`;
import { helpAndExitIfAsked } from "./usage.ts";

helpAndExitIfAsked(import.meta.url);

const MANIFEST = `version: v1
project:
  name: soak
  triggers:
    - name: hook
      webhook: {}
      call: main.py:on_hook
    - name: poke
      webhook: {}
`;

// Session states other than completed, as `state: count`.
function others(states: Record<string, number>): string {
  const rest = Object.entries(states).filter(([state]) => state !== "completed");
  return rest.length ? rest.map(([state, n]) => `${state}: ${n}`).join(", ") : "none";
}

type Sample = { t: number; rssKb: number; fds: number };

function sample(pid: number, t0: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  return {
    t: Math.round((Date.now() - t0) / 1000),
    rssKb,
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

function cli(home: string, url: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--no-warnings", "--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args],
      { env: { ...process.env, POUNCE_HOME: home, POUNCE_URL: url }, cwd: ROOT },
      (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)),
    );
  });
}

async function startDaemon(
  home: string,
): Promise<{ proc: ChildProcess; url: string; log: () => string }> {
  const proc = spawn(
    process.execPath,
    ["--no-warnings", "--import", "tsx", join(ROOT, "src/cli/main.ts"), "up", "--port", "0"],
    { env: { ...process.env, POUNCE_HOME: home }, cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr!.setEncoding("utf8");
  proc.stderr!.on("data", (c: string) => (stderr += c));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = stderr.match(/pounce started url=(\S+)/);
      if (m) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 50);
    proc.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`daemon exited with ${code}:\n${stderr}`));
    });
  });
  return { proc, url, log: () => stderr };
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "pounce-soak-"));
  const project = mkdtempSync(join(tmpdir(), "pounce-soak-proj-"));
  writeFileSync(join(project, "autokitteh.yaml"), MANIFEST);
  writeFileSync(join(project, "main.py"), HANDLER);
  const daemon = await startDaemon(home);
  // Interrupted: the daemon goes too (its clean stop ends its runners).
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      daemon.proc.kill("SIGTERM");
      daemon.proc.once("exit", () => process.exit(130));
    });
  }
  try {
    const out = await cli(home, daemon.url, [
      "deploy",
      "--manifest",
      join(project, "autokitteh.yaml"),
    ]);
    const path = (t: string) =>
      out.match(new RegExp(`trigger "${t}".*webhook path is "([^"]+)"`))![1];
    const hook = daemon.url + path("hook");
    const poke = daemon.url + path("poke");
    console.log(`soak: ${SECONDS} s at ${RATE} webhooks/s, daemon pid ${daemon.proc.pid}`);

    const t0 = Date.now();
    const samples: Sample[] = [sample(daemon.proc.pid!, t0)];
    const sampler = setInterval(() => {
      const s = sample(daemon.proc.pid!, t0);
      samples.push(s);
      console.log(`  ${s.t}s rss ${(s.rssKb / 1024).toFixed(1)} MiB, fds ${s.fds}`);
    }, SAMPLE_MS);
    let sent = 0;
    let failed = 0;
    const pending: Promise<void>[] = [];
    const post = async (url: string, body: unknown) => {
      try {
        const res = await fetch(url, { method: "POST", body: JSON.stringify(body) });
        await res.arrayBuffer();
        if (!res.ok) failed++;
      } catch {
        failed++;
      }
    };
    // A steady rate: the nth webhook goes at t0 + n / RATE; every other session gets a poke.
    while (Date.now() - t0 < SECONDS * 1000) {
      const n = sent++;
      pending.push(post(hook, { n }));
      if (n % 2 === 0) {
        const at = n;
        setTimeout(() => pending.push(post(poke, { n: at })), 600);
      }
      const next = t0 + (sent * 1000) / RATE;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 1000));
    await Promise.all(pending);

    // Let the last sessions end. Counted in the database (the API lists at most 1000).
    const db = createClient({ url: `file:${join(home, "pounce.db")}` });
    let states: Record<string, number> = {};
    for (let i = 0; i < 120; i++) {
      const rows = await db.execute("SELECT state, count(*) AS n FROM sessions GROUP BY state");
      states = Object.fromEntries(rows.rows.map((r) => [String(r.state), Number(r.n)]));
      if (!states.running && !states.created) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    db.close();
    const completed = states.completed ?? 0;
    const errors = daemon.log().split("\n").filter((l) => / ERROR /.test(l));

    const third = Math.floor(samples.length / 3);
    const middle = samples.slice(third, 2 * third);
    const last = samples.slice(2 * third);
    const rssMid = median(middle.map((s) => s.rssKb));
    const rssEnd = median(last.map((s) => s.rssKb));
    const fdMid = median(middle.map((s) => s.fds));
    const fdEnd = median(last.map((s) => s.fds));
    const rssFlat = rssEnd <= rssMid * (1 + RSS_GROWTH);
    const fdFlat = fdEnd <= fdMid + FD_GROWTH;
    const clean = failed === 0 && completed === sent && errors.length === 0 && rssFlat && fdFlat;
    const mib = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;
    const report = [
      "## Soak",
      "",
      `${new Date().toISOString().slice(0, 10)}, node ${process.versions.node}. Written by ` +
      "`scripts/soak.ts` (`npm run soak`; `SOAK_SECONDS`, `SOAK_RATE`). One daemon from source, " +
      `${SECONDS} s at ${RATE} webhooks/s; each session runs two activities, a durable ` +
      "sleep, a subscription and a `next_event` (every other one gets its event). " +
      `The daemon's memory and open files are sampled every ${SAMPLE_MS / 1000} s; ` +
      `"flat" compares the last third of the run with the middle third (the first is warm-up): ` +
      `memory within +${RSS_GROWTH * 100} %, file descriptors within +${FD_GROWTH}.`,
      "",
      `**${clean ? "Clean" : "NOT clean"}.**`,
      "",
      "| what | value |",
      "|---|---|",
      `| webhooks sent / answered non-2xx | ${sent} / ${failed} |`,
      `| sessions completed / other states | ${completed} / ${others(states)} |`,
      `| ERROR lines in the daemon's log | ${errors.length} |`,
      `| memory (VmRSS): start, middle third, last third, max | ${mib(samples[0].rssKb)}, ${
        mib(rssMid)
      }, ${mib(rssEnd)}, ${mib(Math.max(...samples.map((s) => s.rssKb)))} ${
        rssFlat ? "(flat)" : "(GREW)"
      } |`,
      `| open file descriptors: start, middle third, last third, max | ${
        samples[0].fds
      }, ${fdMid}, ${fdEnd}, ${Math.max(...samples.map((s) => s.fds))} ${
        fdFlat ? "(flat)" : "(GREW)"
      } |`,
      `| machine load average at the end | ${
        readFileSync("/proc/loadavg", "utf8").split(" ")[0]
      } (2 cores, shared) |`,
    ].join("\n");
    writeSection("soak", report);
    console.log(report);
    if (errors.length) console.log(errors.slice(0, 10).join("\n"));
    process.exitCode = clean ? 0 : 1;
  } finally {
    daemon.proc.kill("SIGTERM");
    await new Promise((r) => daemon.proc.once("exit", r));
    rmSync(home, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
  }
}

await main();
