// `pounce up`: start the engine, serve HTTP, resume what a previous run left.
import { isIP } from "node:net";
import { log, logFailure } from "../core/util/log.ts";
import { metricsApp } from "../observability/http.ts";
import { loadMetricsOnDemand } from "../observability/metrics.ts";
import { startIdleGc } from "../core/util/idle-gc.ts";
import { startTracing, stopTracing } from "../observability/tracing.ts";
import { DEFAULT_SERVER_LIMITS, listen, type ServerLimits } from "../runtime.ts";
import { createApp } from "./app.ts";
import { loadOrCreateToken } from "./auth.ts";
import { enforceBodyDeadline } from "./body-deadline.ts";
import { createEngine, type Engine, type EngineOptions } from "./engine.ts";
import { hostCheck } from "./host-check.ts";
import { attachTail } from "./tail.ts";
import { SignInCodes, signInLink } from "./ui-codes.ts";

export type DaemonOptions = EngineOptions & {
  port: number;
  host: string;
  // Host names (beyond loopback names and IP addresses) the API and the UI answer to.
  allowedHosts?: string[];
  serverLimits?: Partial<ServerLimits>;
  // Bodies of requests outside the API must arrive within this (slow drips).
  bodyTimeoutMs?: number;
  // `--metrics-listen`: /metrics alone, without a token, on this address too.
  metricsListen?: { host: string; port: number };
};

export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

export type Daemon = {
  engine: Engine;
  url: string;
  // A one-time link that signs a browser in to the web UI (ui-codes.ts).
  signInLink(): string;
  close(): Promise<void>;
};

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  // Before the first request, when configured (the SDK is loaded only then).
  await startTracing();
  const engine = await createEngine(opts);
  const token = loadOrCreateToken(engine.dataDir);
  // The name it binds counts too (an address is allowed anyway).
  const knownHost = hostCheck([...opts.allowedHosts ?? [], ...isIP(opts.host) ? [] : [opts.host]]);
  const codes = new SignInCodes();
  const app = createApp(engine, token, knownHost, codes);
  const requestTimeoutMs = opts.serverLimits?.requestTimeoutMs ??
    DEFAULT_SERVER_LIMITS.requestTimeoutMs;
  const limits: ServerLimits = {
    requestTimeoutMs,
    headersTimeoutMs: Math.min(
      opts.serverLimits?.headersTimeoutMs ?? DEFAULT_SERVER_LIMITS.headersTimeoutMs,
      requestTimeoutMs,
    ),
    maxConnections: opts.serverLimits?.maxConnections ?? DEFAULT_SERVER_LIMITS.maxConnections,
  };
  const server = await listen(app.fetch, opts.port, opts.host, limits);
  enforceBodyDeadline(
    server.server,
    Math.min(opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS, requestTimeoutMs),
    (path) => path.startsWith("/api/"),
  );
  const tail = attachTail(server.server, engine, token, knownHost);
  const metricsServer = opts.metricsListen &&
    await listen(metricsApp().fetch, opts.metricsListen.port, opts.metricsListen.host, limits);
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${server.port}`;
  engine.setServiceUrl(url);
  // Warm runner servers for what is deployed, before sessions start.
  await engine.runners.sync();
  await engine.dispatcher.dispatchPending();
  await engine.manager.recover();
  // Schedules and Socket Mode links, once events can be served.
  await engine.integrations.start();
  await engine.oauth.start();
  log.info("pounce started", {
    url,
    data: engine.dataDir,
    python: `${engine.python.executable} (${engine.python.version})`,
    ...metricsServer ? { metrics: `${opts.metricsListen!.host}:${metricsServer.port}` } : {},
  });
  // What is recorded meanwhile is kept until the SDK is loaded (metrics.ts says when).
  loadMetricsOnDemand(logFailure("metrics did not start"));
  const stopIdleGc = startIdleGc();
  return {
    engine,
    url,
    signInLink: () => signInLink(url, codes.mint().code),
    async close() {
      stopIdleGc();
      tail.close();
      await server.close();
      await metricsServer?.close();
      await engine.close();
      await stopTracing();
    },
  };
}
