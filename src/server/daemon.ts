// `pounce up`: start the engine, serve HTTP, resume what a previous run left.
import { log } from "../core/log.ts";
import { DEFAULT_SERVER_LIMITS, listen, type ServerLimits } from "../runtime.ts";
import { createApp } from "./app.ts";
import { loadOrCreateToken } from "./auth.ts";
import { createEngine, type Engine, type EngineOptions } from "./engine.ts";
import { attachTail } from "./tail.ts";

export type DaemonOptions = EngineOptions & {
  port: number;
  host: string;
  serverLimits?: Partial<ServerLimits>;
};

export type Daemon = { engine: Engine; url: string; close(): Promise<void> };

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const engine = await createEngine(opts);
  const token = loadOrCreateToken(engine.dataDir);
  const app = createApp(engine, token);
  const requestTimeoutMs = opts.serverLimits?.requestTimeoutMs ??
    DEFAULT_SERVER_LIMITS.requestTimeoutMs;
  const limits: ServerLimits = {
    requestTimeoutMs,
    headersTimeoutMs: Math.min(
      opts.serverLimits?.headersTimeoutMs ?? DEFAULT_SERVER_LIMITS.headersTimeoutMs,
      requestTimeoutMs,
    ),
  };
  const server = await listen(app.fetch, opts.port, opts.host, limits);
  const tail = attachTail(server.server, engine, token);
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${server.port}`;
  engine.setServiceUrl(url);
  // Warm runner servers for what is deployed, before sessions start.
  await engine.runners.sync();
  await engine.dispatcher.dispatchPending();
  await engine.manager.recover();
  // Schedules and Socket Mode links, once events can be served.
  await engine.integrations.start();
  log.info("pounce started", {
    url,
    data: engine.dataDir,
    python: `${engine.python.executable} (${engine.python.version})`,
  });
  return {
    engine,
    url,
    async close() {
      tail.close();
      await server.close();
      await engine.close();
    },
  };
}
