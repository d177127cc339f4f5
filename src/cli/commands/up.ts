// `pounce up`: run the daemon in the foreground.
import { DataDirBusy } from "../../core/util/data-dir-lock.ts";
import { DbRefused } from "../../core/db/db-file.ts";
import { isLevel, log, setLogLevel } from "../../core/util/log.ts";
import { dataDir } from "../../core/util/paths.ts";
import { startDaemon } from "../../server/daemon.ts";
import { hostCheck } from "../../server/host-check.ts";
import { keepServingOnUnhandledRejection } from "../../server/keep-serving.ts";
import { parse } from "../args.ts";
import { CliError, EXIT } from "../client.ts";

export async function upCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    port: { type: "string", short: "p", default: "9980" },
    host: { type: "string", default: "127.0.0.1" },
    "allowed-hosts": { type: "string" },
    db: { type: "string" },
    "log-level": { type: "string", default: "info" },
    durability: { type: "string", default: "fsync" },
    runner: { type: "string", default: process.env.POUNCE_RUNNER || "fork" },
    "runner-user": { type: "string" },
    "max-runners": { type: "string" },
    "webhook-body-limit": { type: "string" },
    "webhook-rate": { type: "string" },
    "session-timeout": { type: "string" },
    "header-timeout": { type: "string" },
    "request-timeout": { type: "string" },
    "body-timeout": { type: "string" },
    "max-connections": { type: "string" },
    "sync-timeout": { type: "string" },
    "hibernate-after": { type: "string" },
    "node-id": { type: "string" },
    "lease-ttl": { type: "string" },
    "accept-wal-loss": { type: "boolean" },
    "metrics-listen": { type: "string" },
  });
  const level = values["log-level"]!;
  if (!isLevel(level)) {
    throw new CliError("--log-level must be debug, info, warn or error", EXIT.badRequest);
  }
  setLogLevel(level);
  const durability = values.durability;
  if (durability !== "fsync" && durability !== "process") {
    throw new CliError("--durability must be fsync or process", EXIT.badRequest);
  }
  const runner = values.runner;
  if (runner !== "fork" && runner !== "spawn") {
    throw new CliError("--runner must be fork or spawn", EXIT.badRequest);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError("--port must be a port number", EXIT.badRequest);
  }
  keepServingOnUnhandledRejection();
  const daemon = await startDaemon({
    dataDir: dataDir(),
    acceptWalLoss: values["accept-wal-loss"],
    port,
    host: values.host!,
    allowedHosts: allowedHosts(values["allowed-hosts"]),
    dbUrl: values.db ?? process.env.POUNCE_DB,
    durability,
    runner,
    runnerUser: values["runner-user"] ?? process.env.POUNCE_RUNNER_USER,
    maxRunners: integerOption(values["max-runners"], "--max-runners"),
    webhookBodyBytes: numberOption(values["webhook-body-limit"], "--webhook-body-limit"),
    webhookRate: numberOption(values["webhook-rate"], "--webhook-rate"),
    sessionTimeoutMs: seconds(values["session-timeout"], "--session-timeout"),
    serverLimits: {
      headersTimeoutMs: seconds(values["header-timeout"], "--header-timeout"),
      requestTimeoutMs: seconds(values["request-timeout"], "--request-timeout"),
      maxConnections: integerOption(values["max-connections"], "--max-connections"),
    },
    bodyTimeoutMs: seconds(values["body-timeout"], "--body-timeout"),
    syncTimeoutMs: seconds(values["sync-timeout"], "--sync-timeout"),
    nodeId: values["node-id"],
    leaseTtlMs: seconds(values["lease-ttl"], "--lease-ttl"),
    metricsListen: hostPort(values["metrics-listen"], "--metrics-listen"),
    hibernateAfterMs: values["hibernate-after"] === "off"
      ? -1
      : seconds(values["hibernate-after"], "--hibernate-after"),
  }).catch((err) => {
    // Another daemon on the data dir, or a WAL SQLite would cut short: the user must act.
    if (err instanceof DataDirBusy || err instanceof DbRefused) {
      throw new CliError(err.message, EXIT.precondition);
    }
    if (isAddressInUse(err)) throw new CliError(addressInUse(err, values), EXIT.precondition);
    throw err;
  });
  // For people, on stdout (the log is on stderr): where the UI is, and a link that signs
  // a browser in once, without pasting the token.
  console.log(`web UI:  ${daemon.url}/`);
  console.log(
    `sign in: ${daemon.signInLink()}  (works once, within 10 minutes; \`pounce ui\` prints another)`,
  );
  const stop = async (signal: string) => {
    log.info("pounce stopping", { signal });
    await daemon.close();
    process.exit(0);
  };
  const stopOn = (signal: string) =>
    stop(signal).catch((err) => {
      log.error("stopping failed", { error: (err as Error).message });
      process.exit(1);
    });
  process.once("SIGINT", () => stopOn("SIGINT"));
  process.once("SIGTERM", () => stopOn("SIGTERM"));
}

function numberOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new CliError(`${flag} must be a positive number`, EXIT.badRequest);
  }
  return n;
}

function integerOption(value: string | undefined, flag: string): number | undefined {
  const n = numberOption(value, flag);
  if (n !== undefined && !Number.isInteger(n)) {
    throw new CliError(`${flag} must be a whole number`, EXIT.badRequest);
  }
  return n;
}

function seconds(value: string | undefined, flag: string): number | undefined {
  const n = numberOption(value, flag);
  return n === undefined ? undefined : n * 1000;
}

// `host:port` (`[::1]:9464` for IPv6).
function hostPort(
  value: string | undefined,
  flag: string,
): { host: string; port: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new CliError(`${flag} must be host:port`, EXIT.badRequest);
  return { host: m[1] ?? m[2], port };
}

function allowedHosts(value: string | undefined): string[] | undefined {
  const names = value?.split(",").map((h) => h.trim()).filter(Boolean);
  try {
    if (names) hostCheck(names);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.badRequest);
  }
  return names;
}

function isAddressInUse(err: unknown): err is Error & { address?: string; port?: number } {
  const e = err as { code?: string; name?: string };
  return e?.code === "EADDRINUSE" || e?.name === "AddrInUse";
}

// Which listener it was, and the flag that picks another address.
function addressInUse(
  err: Error & { address?: string; port?: number },
  values: { port?: string; host?: string; "metrics-listen"?: string },
): string {
  const where = err.port ? `${err.address ?? values.host}:${err.port}` : err.message;
  const metrics = values["metrics-listen"] && err.port !== undefined &&
    values["metrics-listen"].endsWith(`:${err.port}`) && String(err.port) !== values.port;
  return metrics
    ? `--metrics-listen ${where} is in use by another program: pick another address with --metrics-listen HOST:PORT`
    : `port ${where} is in use by another program (or another pounce): pick another with --port (e.g. --port ${
      Number(values.port ?? 9980) + 1
    }), or stop what holds it`;
}
