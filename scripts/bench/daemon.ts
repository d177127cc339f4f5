// A daemon for the benchmark: the daemon bundled as the binary bundles it (no TypeScript
// loader in the measured process), in a fresh data dir, with the benchmark project deployed.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { build } from "esbuild";
import pg from "pg";
import { offloadWorkerScript } from "../build/worker.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// One level below the repository root, so the bundle finds the py-sdk as the source does.
const BUNDLE = join(ROOT, ".pounce", "bench-pounce.mjs");
export const PROJECT = join(ROOT, "scripts/bench/project/autokitteh.yaml");

export async function bundle(): Promise<void> {
  mkdirSync(join(ROOT, ".pounce"), { recursive: true });
  // The offload worker thread as the binary carries it (scripts/build.ts): one script, no
  // TypeScript loader in the measured process's threads either (tsx in the worker kept
  // ~10 MB of the idle daemon's memory after the deploy's manifest parse).
  const workerScript = join(ROOT, ".pounce", "bench-offload-worker.cjs");
  writeFileSync(workerScript, await offloadWorkerScript(ROOT));
  const embedded = join(ROOT, "src/embedded.ts");
  const dir = join(ROOT, ".pounce");
  for (const f of readdirSync(dir)) if (f.startsWith("bench-chunk-")) rmSync(join(dir, f));
  await build({
    entryPoints: { "bench-pounce": join(ROOT, "src/cli/main.ts") },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // As scripts/build.ts minifies the binary's (V8 keeps every module's source in memory).
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    // Packages are bundled too, as in the binary (unused exports left out); libSQL stays
    // in node_modules for its native addon.
    external: ["libsql", "@libsql/*", "bufferutil", "utf-8-validate"],
    banner: {
      js: 'import { createRequire as __pounceRequire } from "node:module"; ' +
        "const require = __pounceRequire(import.meta.url);",
    },
    // What src/ imports dynamically (`await import(...)`) is loaded when used, as in the
    // binary (CommonJS, where a module and its packages start when first required): a
    // chunk per such module, whose packages load with it. One file would import every
    // package at its start. The chunks sit beside the bundle (same depth from the root).
    splitting: true,
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    chunkNames: "bench-chunk-[hash]",
    logLevel: "warning",
    plugins: [{
      name: "bench-offload-worker",
      setup(b) {
        b.onLoad({ filter: /[\\/]src[\\/]embedded\.ts$/ }, () => {
          const source = readFileSync(embedded, "utf8");
          const decl =
            /(export const offloadWorkerCode: \(\(\) => string\) \| undefined = )undefined;/;
          if (!decl.test(source)) throw new Error("src/embedded.ts: offloadWorkerCode not found");
          // Read when a worker starts, as the binary reads its SEA asset.
          const read = `() => process.getBuiltinModule("node:fs").readFileSync(${
            JSON.stringify(workerScript)
          }, "utf8")`;
          return { contents: source.replace(decl, (_, head) => `${head}${read};`), loader: "ts" };
        });
      },
    }],
  });
}

export type DaemonOptions = {
  runner: "fork" | "spawn";
  durability: "fsync" | "process";
  hibernateAfter?: string;
  maxRunners?: number;
  // Extra node flags for the daemon (e.g. --cpu-prof, to see where the time goes).
  nodeArgs?: string[];
  // `--db`: a libSQL file or a PostgreSQL URL shared with other daemons (they then need
  // the same POUNCE_SECRET_KEY in `env`); without it, the data dir's own libSQL file.
  db?: string;
  env?: Record<string, string>;
};

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export type HttpResult = { status: number; body: string; headers: Record<string, unknown> };

export function http(
  url: string,
  opts: { method?: string; body?: string; token?: string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: opts.method ?? "GET",
      agent,
      headers: {
        ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          headers: res.headers,
        }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BenchDaemon {
  url = "";
  hooks: Record<string, string> = {};
  stderr = "";

  private constructor(
    readonly home: string,
    readonly proc: ChildProcess,
    readonly db = `file:${join(home, "pounce.db")}`,
  ) {}

  static async start(opts: DaemonOptions): Promise<BenchDaemon> {
    const home = mkdtempSync(join(tmpdir(), "pounce-bench-"));
    const port = await freePort();
    const args = [BUNDLE, "up", "--port", String(port), "--runner", opts.runner];
    args.push("--durability", opts.durability, "--log-level", "warn");
    if (opts.hibernateAfter) args.push("--hibernate-after", opts.hibernateAfter);
    if (opts.maxRunners) args.push("--max-runners", String(opts.maxRunners));
    if (opts.db) args.push("--db", opts.db);
    const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...args], {
      env: { ...process.env, ...opts.env, POUNCE_HOME: home },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const d = new BenchDaemon(home, proc, opts.db);
    d.url = `http://127.0.0.1:${port}`;
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (chunk: string) => (d.stderr = (d.stderr + chunk).slice(-20_000)));
    await d.waitUp();
    return d;
  }

  private async waitUp(): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (this.proc.exitCode !== null) throw new Error(`daemon exited:\n${this.stderr}`);
      try {
        if ((await http(`${this.url}/healthz`)).status === 200) return;
      } catch { /* not yet */ }
      await sleep(50);
    }
    throw new Error(`daemon did not start:\n${this.stderr}`);
  }

  get token(): string {
    return readFileSync(join(this.home, "token"), "utf8").trim();
  }

  async deploy(): Promise<void> {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [BUNDLE, "deploy", "--manifest", PROJECT],
        {
          env: { ...process.env, POUNCE_HOME: this.home, POUNCE_URL: this.url },
        },
        (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)),
      );
    });
    for (const m of out.matchAll(/trigger "(\w+)" created, webhook path is "([^"]+)"/g)) {
      this.hooks[m[1]] = this.url + m[2];
    }
  }

  // Another node on the same database: the project is deployed there already, so its
  // webhooks are the same paths on this node.
  sameHooksAs(deployed: BenchDaemon): void {
    for (const [name, url] of Object.entries(deployed.hooks)) {
      this.hooks[name] = this.url + url.slice(deployed.url.length);
    }
  }

  api<T>(path: string, opts: { method?: string; body?: string } = {}): Promise<T> {
    return http(this.url + path, { ...opts, token: this.token }).then((r) => {
      if (r.status >= 400) throw new Error(`${path}: ${r.status} ${r.body}`);
      return JSON.parse(r.body) as T;
    });
  }

  // Posts to a webhook trigger; the event id.
  async post(trigger: string, body: unknown): Promise<HttpResult> {
    return await http(this.hooks[trigger], { method: "POST", body: JSON.stringify(body) });
  }

  async sessionOf(eventId: string): Promise<string> {
    for (;;) {
      const { sessions } = await this.api<{ sessions: { session_id: string }[] }>(
        `/api/sessions?project=bench&event=${eventId}`,
      );
      if (sessions.length) return sessions[0].session_id;
      await sleep(20);
    }
  }

  async waitSession(id: string, what = (s: SessionJson) => FINAL.includes(s.state)) {
    for (;;) {
      const { session } = await this.api<{ session: SessionJson }>(`/api/sessions/${id}`);
      if (what(session)) return session;
      if (FINAL.includes(session.state)) {
        throw new Error(`session ${id} ended ${session.state}: ${session.error}`);
      }
      await sleep(20);
    }
  }

  async prints(id: string): Promise<string[]> {
    const r = await this.api<{ prints: { text: string }[] }>(`/api/sessions/${id}/prints`);
    return r.prints.map((p) => p.text);
  }

  // A read of the daemon's database (WAL: a second reader does not disturb it). `?`
  // placeholders on either backend.
  async query(sql: string, args: (string | number)[] = []): Promise<Record<string, unknown>[]> {
    if (/^postgres(ql)?:/.test(this.db)) {
      const client = new pg.Client({ connectionString: this.db });
      await client.connect();
      try {
        let n = 0;
        return (await client.query(sql.replace(/\?/g, () => `$${++n}`), args)).rows;
      } finally {
        await client.end();
      }
    }
    const db = createClient({ url: this.db });
    try {
      return (await db.execute({ sql, args })).rows as unknown as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }

  rssMb(): number {
    return rssMb(this.proc.pid!);
  }

  // Python processes of this daemon: fork servers and runners (forked or spawned).
  pythonProcesses(): { servers: number; runners: number; rssMb: number } {
    let servers = 0;
    let runners = 0;
    let rss = 0;
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      let cmd: string;
      try {
        cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      } catch {
        continue;
      }
      if (!cmd.includes("pounce.runner") || !cmd.includes(this.home)) continue;
      const ppid = Number(
        readFileSync(`/proc/${name}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1],
      );
      if (cmd.includes("pounce.runner.forkserver") && ppid === this.proc.pid) servers++;
      else runners++;
      rss += rssMb(Number(name));
    }
    return { servers, runners, rssMb: rss };
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once("exit", r));
      this.proc.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000)]);
      if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

export type SessionJson = {
  session_id: string;
  state: string;
  error: string | null;
  hibernated?: boolean;
};
const FINAL = ["completed", "error", "stopped"];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function rssMb(pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}
