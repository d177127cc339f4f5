// `pounce up`: start the engine, serve HTTP, resume what a previous run left.
import type { Durability } from "../core/db/client.ts";
import { log } from "../core/log.ts";
import { listen } from "../runtime.ts";
import { createApp } from "./app.ts";
import { loadOrCreateToken } from "./auth.ts";
import { createEngine, type Engine } from "./engine.ts";

export type DaemonOptions = {
  dataDir: string;
  port: number;
  host: string;
  dbUrl?: string;
  durability?: Durability;
  webhookBodyBytes?: number;
};

export type Daemon = { engine: Engine; url: string; close(): Promise<void> };

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const engine = await createEngine(opts);
  const token = loadOrCreateToken(engine.dataDir);
  const app = createApp(engine, token);
  const server = await listen(app.fetch, opts.port, opts.host);
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${server.port}`;
  engine.setServiceUrl(url);
  await engine.dispatcher.dispatchPending();
  await engine.manager.recover();
  log.info("pounce started", {
    url,
    data: engine.dataDir,
    python: `${engine.python.executable} (${engine.python.version})`,
  });
  return {
    engine,
    url,
    async close() {
      await server.close();
      await engine.close();
    },
  };
}
