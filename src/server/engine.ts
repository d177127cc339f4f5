// The daemon's parts, wired together: database, secrets, runners, sessions, events.
import { join } from "node:path";
import { CodeDirs } from "../core/builds.ts";
import { type Db, type Durability, openDb } from "../core/db/client.ts";
import { Dispatcher } from "../core/dispatcher.ts";
import { Events } from "../core/events.ts";
import { LogBus } from "../core/log-bus.ts";
import { ensureDir } from "../core/paths.ts";
import { SecretBox } from "../core/secrets.ts";
import { SessionManager } from "../core/session-manager.ts";
import { Sessions } from "../core/sessions.ts";
import { RunnerHub } from "../pythonrt/hub.ts";
import { SpawnLauncher } from "../pythonrt/launcher.ts";
import { findPython, type Python } from "../pythonrt/python.ts";
import { runtimeName } from "../runtime.ts";

export type EngineOptions = {
  dataDir: string;
  dbUrl?: string;
  durability?: Durability;
  webhookBodyBytes?: number;
};

export type Engine = {
  dataDir: string;
  db: Db;
  box: SecretBox;
  python: Python;
  hub: RunnerHub;
  sessions: Sessions;
  events: Events;
  manager: SessionManager;
  dispatcher: Dispatcher;
  runtime: string;
  limits: { webhookBodyBytes: number };
  serviceUrl: () => string;
  setServiceUrl(url: string): void;
  close(): Promise<void>;
};

export async function createEngine(opts: EngineOptions): Promise<Engine> {
  const dataDir = ensureDir(opts.dataDir);
  const python = findPython();
  const db = await openDb({
    url: opts.dbUrl ?? `file:${join(dataDir, "pounce.db")}`,
    durability: opts.durability,
  });
  const box = SecretBox.load(dataDir);
  const hub = new RunnerHub(ensureDir(join(dataDir, "run")));
  await hub.listen();
  const sessions = new Sessions(db, new LogBus());
  const events = new Events(db);
  let serviceUrl = "http://127.0.0.1:9980";
  const manager = new SessionManager({
    db,
    sessions,
    box,
    codeDirs: new CodeDirs(db, join(dataDir, "builds")),
    launcher: new SpawnLauncher(python, hub),
    serviceUrl: () => serviceUrl,
  });
  const dispatcher = new Dispatcher(db, events, manager);
  return {
    dataDir,
    db,
    box,
    python,
    hub,
    sessions,
    events,
    manager,
    dispatcher,
    runtime: runtimeName(),
    limits: { webhookBodyBytes: opts.webhookBodyBytes ?? 512 * 1024 },
    serviceUrl: () => serviceUrl,
    setServiceUrl(url) {
      serviceUrl = url;
    },
    async close() {
      await manager.close();
      await hub.close();
      db.$client.close();
    },
  };
}
