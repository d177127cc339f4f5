// Runners forked from warm per-deployment servers (fork-server.ts): one server per code
// directory and durability mode, started with the sessions' environment snapshot. A
// server whose environment no longer matches (vars changed) is replaced; one that died
// is restarted; servers of code no longer deployed are stopped (`sync`).
import { createHash } from "node:crypto";
import {
  describeExit,
  type RunnerLauncher,
  type RunnerSpec,
} from "../core/sessions/runner-port.ts";
import { log, logFailure } from "../core/util/log.ts";
import { forkServerRestarted } from "../observability/metrics.ts";
import { ForkServer } from "./fork-server.ts";
import type { RunnerHub } from "./hub.ts";
import type { Interpreters, PythonRunner } from "./launcher.ts";
import type { RunnerUser } from "./runner-user.ts";

// What a deployment's sessions will need: `preload` are its entry modules.
export type WarmSpec = RunnerSpec & { preload: string[] };

type Entry = {
  server: ForkServer;
  envHash: string;
  startedAt: number;
  usedAt: number;
  launching: number; // forks in progress: the server is not retired under them
  // Kept by `sync` for a deployed spec; else started by a launch (a deployment being
  // tested or drained), and stopped when idle.
  deployed: boolean;
};

// A server not among the deployed ones is stopped after this long without a fork.
const IDLE_MS = 60_000;
// A server that dies sooner than this after starting is not restarted until it is needed.
const MIN_LIFETIME_MS = 5_000;

export class ForkLauncher implements RunnerLauncher {
  private readonly servers = new Map<string, Entry>();
  private readonly starting = new Map<string, Promise<Entry>>();
  // Entry modules per code directory, from the last sync.
  private preloads = new Map<string, string[]>();
  private pinned = new Set<string>();
  private closed = false;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    private readonly interpreters: Interpreters,
    private readonly hub: RunnerHub,
    private readonly user?: RunnerUser,
  ) {
    this.sweeper = setInterval(() => this.sweep(), IDLE_MS / 2);
    (this.sweeper as { unref?: () => void }).unref?.();
  }

  async launch(spec: RunnerSpec): Promise<PythonRunner> {
    for (let attempt = 1;; attempt++) {
      const entry = await this.serverFor(spec);
      entry.usedAt = Date.now();
      entry.launching++;
      try {
        return await entry.server.take();
      } catch (err) {
        // The server died under this launch: once more, with a new one.
        if (entry.server.alive || attempt >= 2) throw err;
      } finally {
        entry.launching--;
      }
    }
  }

  // Starts (or keeps) a server for each spec and stops the servers of deployed code that
  // is no longer listed (their running children go on).
  async sync(specs: WarmSpec[]): Promise<void> {
    if (this.closed) return;
    this.preloads = new Map();
    for (const s of specs) {
      const known = this.preloads.get(s.codeDir) ?? [];
      this.preloads.set(s.codeDir, [...new Set([...known, ...s.preload])].sort());
    }
    this.pinned = new Set(specs.map((s) => keyOf(s)));
    for (const [key, entry] of this.servers) {
      // A server busy forking (a session started by hand) is left to the idle sweep.
      if (entry.deployed && !this.pinned.has(key) && !entry.launching) {
        this.retire(key, entry, "no longer deployed");
      }
    }
    await Promise.all(
      specs.map((s) =>
        this.serverFor(s).then((e) => {
          e.deployed = true;
          return e.server.ready;
        }).catch((err) =>
          log.warn("fork server did not start", { code: s.codeDir, error: err.message })
        )
      ),
    );
  }

  // For `pounce doctor`-like views and tests.
  list(): { codeDir: string; durable: boolean; pid: number; preloaded: string[] }[] {
    return [...this.servers.values()].map(({ server }) => ({
      codeDir: server.spec.codeDir,
      durable: server.spec.durable,
      pid: server.pid,
      preloaded: server.preloaded,
    }));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const [key, entry] of this.servers) this.retire(key, entry, "daemon stopping");
  }

  private async serverFor(spec: RunnerSpec): Promise<Entry> {
    if (this.closed) throw new Error("daemon stopping");
    const key = keyOf(spec);
    const envHash = hashOf(spec.env);
    const preload = this.preloads.get(spec.codeDir) ?? [];
    const current = this.servers.get(key);
    if (current?.server.alive && current.envHash === envHash && samePreload(current, preload)) {
      return current;
    }
    const pending = this.starting.get(key);
    if (pending) {
      const entry = await pending;
      if (entry.envHash === envHash) return entry;
    }
    const start = this.start(key, spec, envHash, preload);
    this.starting.set(key, start);
    try {
      return await start;
    } finally {
      if (this.starting.get(key) === start) this.starting.delete(key);
    }
  }

  private async start(
    key: string,
    spec: RunnerSpec,
    envHash: string,
    preload: string[],
  ): Promise<Entry> {
    const python = await this.interpreters.pythonFor(spec.codeDir);
    const old = this.servers.get(key);
    if (old) {
      this.retire(key, old, old.server.alive ? "environment or code changed" : "it died");
    }
    const server = new ForkServer({ python, ...spec, preload }, this.hub, this.user);
    const entry: Entry = {
      server,
      envHash,
      startedAt: Date.now(),
      usedAt: Date.now(),
      launching: 0,
      deployed: this.pinned.has(key),
    };
    this.servers.set(key, entry);
    server.ready.then(() => {
      if (server.fallback) {
        log.warn("fork server runs without preloaded modules", {
          code: spec.codeDir,
          reason: server.fallback,
        });
      }
    }, () => {});
    server.gone.then((exit) => {
      if (this.servers.get(key) !== entry) return;
      this.servers.delete(key);
      if (this.closed) return;
      forkServerRestarted();
      log.warn("fork server exited", {
        code: spec.codeDir,
        exit: describeExit(exit),
      });
      // Restarted at once if it is a deployed one that ran a while (no crash loop).
      if (this.pinned.has(key) && Date.now() - entry.startedAt >= MIN_LIFETIME_MS) {
        this.serverFor(spec).catch(() => {});
      }
    }).catch(logFailure("fork server exit handling failed"));
    return entry;
  }

  private retire(key: string, entry: Entry, why: string): void {
    if (this.servers.get(key) === entry) this.servers.delete(key);
    log.debug("stopping fork server", { code: entry.server.spec.codeDir, why });
    entry.server.stop();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.servers) {
      if (!this.pinned.has(key) && !entry.launching && now - entry.usedAt > IDLE_MS) {
        this.retire(key, entry, "idle");
      }
    }
  }
}

function keyOf(spec: { codeDir: string; durable: boolean }): string {
  return `${spec.durable ? "d" : "n"}:${spec.codeDir}`;
}

function samePreload(entry: Entry, preload: string[]): boolean {
  const had = entry.server.spec.preload;
  return had.length === preload.length && had.every((m, i) => m === preload[i]);
}

// The environment snapshot's identity: a server serves only sessions with the same one.
// Kept per object: sessionEnv hands out the same unmodified object while the config holds.
const hashes = new WeakMap<Record<string, string>, string>();
export function hashOf(env: Record<string, string>): string {
  let h = hashes.get(env);
  if (h !== undefined) return h;
  const hash = createHash("sha256");
  for (const k of Object.keys(env).sort()) hash.update(`${k}\0${env[k]}\0`);
  h = hash.digest("hex");
  hashes.set(env, h);
  return h;
}
