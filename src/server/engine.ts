// The daemon's parts, wired together: database, secrets, runners, sessions, events.
import { join, relative } from "node:path";
import { CodeDirs } from "../core/projects/builds.ts";
import { configChanged } from "../core/projects/config-changed.ts";
import { closeDb, type Db, type Durability, openDb, statementCounts } from "../core/db/client.ts";
import { dbFilePath, guardDbFile } from "../core/db/db-file.ts";
import { lockDataDir } from "../core/util/data-dir-lock.ts";
import { Dispatcher } from "../core/dispatcher.ts";
import { Events } from "../core/events.ts";
import { IntegrationHub } from "../integrations/hub.ts";
import { OAuthService } from "../integrations/oauth/service.ts";
import { LogBus } from "../core/sessions/log-bus.ts";
import { ensureDir } from "../core/util/paths.ts";
import { SecretBox } from "../core/projects/secrets.ts";
import { SessionManager } from "../core/sessions/manager.ts";
import { Leases } from "../core/sessions/leases.ts";
import { nodeIdFor } from "../core/util/node-id.ts";
import { Sessions } from "../core/sessions/rows.ts";
import { linkNodes, Wakeups } from "../core/sessions/wakeups.ts";
import { RunnerWarmup } from "../pythonrt/warmup.ts";
import { RunnerHub } from "../pythonrt/hub.ts";
import { ForkLauncher } from "../pythonrt/fork-launcher.ts";
import { SpawnLauncher } from "../pythonrt/launcher.ts";
import { LimitedLauncher } from "../pythonrt/runner-limit.ts";
import { findPython, type Python } from "../pythonrt/python.ts";
import { Venvs, venvsDir } from "../pythonrt/venvs.ts";
import {
  DROP_BOX,
  PASS,
  READ,
  type RunnerUser,
  runnerUser,
  share,
  shareDataDir,
  SOCKET,
} from "../pythonrt/runner-user.ts";
import { sdkDir } from "../pythonrt/sdk.ts";
import { runtimeName } from "../runtime.ts";
import { gauges } from "../observability/metrics.ts";

export type EngineOptions = {
  dataDir: string;
  dbUrl?: string;
  durability?: Durability;
  // Open the database even if its WAL is damaged, keeping what SQLite can read of it.
  acceptWalLoss?: boolean;
  webhookBodyBytes?: number;
  // Requests per second per webhook slug; more get 429 (undefined or 0: no limit).
  webhookRate?: number;
  storeValueBytes?: number;
  storeKeys?: number;
  syncTimeoutMs?: number;
  // How sessions get a Python runner: forked from a warm per-deployment server, or spawned.
  runner?: RunnerMode;
  // Who runners run as when the daemon is root (default `nobody`; `root`: unchanged).
  runnerUser?: string;
  // At most this many runners at once (default 256); more sessions wait for one.
  maxRunners?: number;
  hibernateAfterMs?: number;
  // Sessions running longer than this (since they started) end in error.
  sessionTimeoutMs?: number;
  // Scale-out: this daemon's name among those sharing the database, and its lease time.
  nodeId?: string;
  leaseTtlMs?: number;
};

export type RunnerMode = "fork" | "spawn";

export type Engine = {
  dataDir: string;
  db: Db;
  // The database's path when it is a libSQL file (undefined for a libSQL server).
  dbFile?: string;
  box: SecretBox;
  python: Python;
  venvs: Venvs;
  hub: RunnerHub;
  sessions: Sessions;
  events: Events;
  manager: SessionManager;
  dispatcher: Dispatcher;
  // Integrations' routes and background services (Socket Mode, schedules).
  integrations: IntegrationHub;
  // OAuth consent flows and token refreshes of connections.
  oauth: OAuthService;
  runtime: string;
  limits: { webhookBodyBytes: number; syncTimeoutMs: number; webhookRate: number };
  serviceUrl: () => string;
  setServiceUrl(url: string): void;
  // Fork mode: matches the warm runner servers to what is deployed (at start, and when
  // core signals a config change).
  runners: { mode: RunnerMode; sync(): Promise<void> };
  close(): Promise<void>;
};

// With a runner user (runner-user.ts): what its runners may reach, all else private.
function openToRunners(
  user: RunnerUser | undefined,
  dataDir: string,
  hub: RunnerHub,
  codeDirs: CodeDirs,
  venvs: Venvs,
): void {
  if (!user) return;
  const shared = new Map<string, number>([
    [codeDirs.root, PASS],
    [venvs.root, PASS],
    [join(dataDir, "run"), PASS],
    [sdkDir(), READ],
  ]);
  for (const dir of codeDirs.list()) shared.set(dir, READ);
  shareDataDir(user, dataDir, shared);
  // The hub's directory is in the data dir, or in /tmp when that path is too long.
  share(user, hub.dir, DROP_BOX);
  share(user, hub.path, SOCKET);
}

export async function createEngine(opts: EngineOptions): Promise<Engine> {
  const dataDir = ensureDir(opts.dataDir);
  // Before anything else in the data dir is touched: one daemon per data dir.
  const lock = lockDataDir(dataDir);
  const dbUrl = opts.dbUrl ?? `file:${join(dataDir, "pounce.db")}`;
  const dbFile = dbFilePath(dbUrl);
  const python = findPython();
  // Checked while the database opens.
  const sdk = sdkDir();
  const sdkOutside = relative(dataDir, sdk).startsWith("..") ? sdk : undefined;
  const userChecked = runnerUser(opts.runnerUser, python.executable, sdkOutside);
  userChecked.catch(() => {});
  let db: Db;
  let dbGuard: { closed(): void } | undefined;
  let user: Awaited<typeof userChecked>;
  try {
    dbGuard = dbFile
      ? guardDbFile(dataDir, dbFile, { acceptWalLoss: opts.acceptWalLoss, inDataDir: !opts.dbUrl })
      : undefined;
    db = await openDb({ url: dbUrl, durability: opts.durability });
    user = await userChecked;
  } catch (err) {
    lock.release();
    throw err;
  }
  const venvs = new Venvs(venvsDir(dataDir), python);
  const box = SecretBox.load(dataDir);
  const hub = new RunnerHub(ensureDir(join(dataDir, "run")));
  await hub.listen();
  const sessions = new Sessions(db, new LogBus(), box);
  const events = new Events(db);
  let serviceUrl = "http://127.0.0.1:9980";
  const wakeups = new Wakeups();
  linkNodes(db, wakeups);
  const codeDirs = new CodeDirs(db, join(dataDir, "builds"), (dir) => share(user, dir, READ));
  openToRunners(user, dataDir, hub, codeDirs, venvs);
  const runnerMode = opts.runner ?? "fork";
  const forks = runnerMode === "fork" ? new ForkLauncher(venvs, hub, user) : undefined;
  const launcher = new LimitedLauncher(
    forks ?? new SpawnLauncher(venvs, hub, user),
    opts.maxRunners ?? 256,
  );
  const warmup = forks
    ? new RunnerWarmup({ db, box, codeDirs, serviceUrl: () => serviceUrl, target: forks })
    : undefined;
  // Deploys, activations, vars, connections: what warm runners preload may have changed.
  const unsubscribe = configChanged(db).subscribe(() => warmup?.changed());
  const oauth = new OAuthService({ db, box, serviceUrl: () => serviceUrl });
  const manager = new SessionManager({
    db,
    sessions,
    box,
    codeDirs,
    launcher,
    wakeups,
    limits: { storeValueBytes: opts.storeValueBytes ?? 64 * 1024, storeKeys: opts.storeKeys ?? 64 },
    serviceUrl: () => serviceUrl,
    // A negative value turns hibernation off.
    hibernateAfterMs: (opts.hibernateAfterMs ?? 5_000) < 0
      ? undefined
      : opts.hibernateAfterMs ?? 5_000,
    sessionTimeoutMs: opts.sessionTimeoutMs,
    leases: new Leases(db, opts.nodeId ?? nodeIdFor(dataDir), opts.leaseTtlMs ?? 15_000),
    oauth: {
      refresh: (projectId, integration, connection) =>
        oauth.refreshFor(projectId, integration, connection),
    },
  });
  const dispatcher = new Dispatcher(db, events, manager, wakeups);
  Object.assign(gauges, {
    runnersLive: () => launcher.active,
    hibernated: () => manager.hibernated,
    dbStatements: () => statementCounts(db)?.statements ?? 0,
    dbCommits: () => statementCounts(db)?.commits ?? 0,
  });
  const limits = {
    webhookBodyBytes: opts.webhookBodyBytes ?? 512 * 1024,
    syncTimeoutMs: opts.syncTimeoutMs ?? 30_000,
    webhookRate: opts.webhookRate ?? 0,
  };
  const integrations = new IntegrationHub({
    nodeId: opts.nodeId ?? nodeIdFor(dataDir),
    db,
    events,
    dispatcher,
    bus: sessions.bus,
    limits,
    box,
    serviceUrl: () => serviceUrl,
  });
  return {
    dataDir,
    db,
    dbFile,
    box,
    python,
    venvs,
    hub,
    sessions,
    events,
    manager,
    dispatcher,
    integrations,
    oauth,
    runtime: runtimeName(),
    limits,
    serviceUrl: () => serviceUrl,
    setServiceUrl(url) {
      serviceUrl = url;
      lock.setUrl(url);
    },
    runners: {
      mode: runnerMode,
      sync: () => warmup?.sync() ?? Promise.resolve(),
    },
    async close() {
      unsubscribe();
      warmup?.close();
      oauth.close();
      await integrations.close();
      await manager.close();
      forks?.close();
      await hub.close();
      if (await closeDb(db, dbFile)) dbGuard?.closed();
      lock.release();
    },
  };
}
