// What differs between Node, Deno and the single binary lives here, and only here.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { dataDir } from "./core/util/paths.ts";
import { build, offloadWorkerCode, payload } from "./embedded.ts";
import { writeOnce } from "./extract.ts";

declare const Deno: { version: { deno: string } } | undefined;

// True inside a build of scripts/build.ts: `dist/pounce` (a Node single executable
// application) or the bundle made for `deno compile`.
export function isBinary(): boolean {
  return build !== undefined;
}

export function runtimeName(): string {
  const engine = typeof Deno !== "undefined"
    ? `deno ${Deno.version.deno}`
    : `node ${process.versions.node}`;
  return build ? `${engine} (single executable)` : engine;
}

export type Listening = { port: number; server: Server; close(): Promise<void> };

// Slow clients (slowloris) are cut off: the headers must arrive within headersTimeoutMs
// and the whole request within requestTimeoutMs; headers over 16 KiB get 431. Connections
// beyond maxConnections are closed as they come (each holds memory and a descriptor).
export type ServerLimits = {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
};

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  maxConnections: 1000,
};

// Deno serves node:http too, so one HTTP server code path serves both runtimes. The server
// is loaded here, not at start-up: it pulls in undici, which CLI commands do not need.
export async function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  port: number,
  hostname: string,
  limits: ServerLimits = DEFAULT_SERVER_LIMITS,
): Promise<Listening> {
  const { serve: serveNode } = await import("@hono/node-server");
  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    maxHeaderSize: 16 * 1024,
    // How often the timeouts above are checked (Node's default is 30 s).
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  };
  return await new Promise((resolve, reject) => {
    const server = serveNode({ fetch, port, hostname, serverOptions }, (info: AddressInfo) => {
      resolve({
        port: info.port,
        server: server as Server,
        close: () => new Promise((done) => server.close(() => done())),
      });
    }) as Server;
    server.maxConnections = limits.maxConnections;
    server.once("error", reject);
  });
}

// The repository root when running from source; undefined inside the binary, which has no
// source tree (its files come from src/embedded.ts instead).
export function sourceRoot(): string | undefined {
  return build ? undefined : fileURLToPath(new URL("..", import.meta.url));
}

type Addon = Record<string, (...args: unknown[]) => unknown>;

// A native addon shipped inside the binary, in its payload (libSQL's, see scripts/build/). It
// is written to <data dir>/native/<hash>/ once and loaded on the first call to one of its
// functions, so commands that never open a database never touch it.
export function binaryAddon(asset: string): Addon {
  let loaded: Addon | undefined;
  const load = (): Addon => {
    if (loaded) return loaded;
    const hash = build?.addons[asset];
    if (!hash) throw new Error(`native addon ${asset} is not in this binary`);
    const dir = writeOnce(join(dataDir(), "native", hash), (tmp) => {
      if (!payload?.copy(asset, join(tmp, asset), 0o700)) {
        throw new Error(`native addon ${asset} is missing from this binary`);
      }
    });
    const module = { exports: {} as Addon };
    try {
      process.dlopen(module, join(dir, asset));
    } catch (err) {
      throw new Error(
        `cannot load ${join(dir, asset)} (is the data dir on a noexec mount? ` +
          `set POUNCE_HOME elsewhere): ${(err as Error).message}`,
      );
    }
    return loaded = module.exports;
  };
  // Every function the addon exports is a stub until then; interop probes (`then`,
  // `__esModule`, symbols) find nothing.
  return new Proxy({} as Addon, {
    get: (_, name) =>
      typeof name !== "string" || name === "then" || name.startsWith("__") ? undefined : (
        function (this: unknown, ...args: unknown[]) {
          return load()[name].apply(this, args);
        }
      ),
  });
}

// How to start offload.ts's worker threads. From source, Deno runs the TypeScript file
// itself; Node needs tsx's loader registered in the thread before the file is imported
// (the process's `--import` does not reach the worker's first module). The Node binary
// (and the benchmark's bundle) carries the worker as one script. Undefined in the bundle
// for `deno compile`, which carries none: jobs then run in the calling thread, under their
// own limits.
type WorkerScript = { script: () => string | URL; eval: boolean };
let worker: WorkerScript | undefined | null = null;

export function offloadWorker(): WorkerScript | undefined {
  if (worker !== null) return worker;
  // Read at each start (workers start seldom), not kept: the script is over a megabyte.
  if (offloadWorkerCode) return worker = { script: offloadWorkerCode, eval: true };
  if (build) return worker = undefined;
  const file = new URL("./core/util/offload-worker.ts", import.meta.url);
  if (typeof Deno !== "undefined") return worker = { script: () => file, eval: false };
  let tsx: string;
  try {
    tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  } catch {
    return worker = undefined;
  }
  const code = `import(${tsx}).then((tsx) => { tsx.register(); return import(${
    JSON.stringify(file.href)
  }); });`;
  return worker = { script: () => code, eval: true };
}

// A full garbage collection on demand (idle-gc.ts), or undefined where the runtime gives
// none. V8 exposes `gc` only to contexts made after `--expose-gc` is set; setting the flag
// at run time is the one way a single executable (no command-line flags of its own) has.
let collector: (() => void) | undefined | null = null;

export function fullGc(): (() => void) | undefined {
  if (collector !== null) return collector;
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc");
    collector = typeof gc === "function" ? () => gc() : undefined;
  } catch {
    collector = undefined;
  }
  return collector;
}
