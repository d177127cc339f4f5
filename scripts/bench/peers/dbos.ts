// DBOS in the peers benchmark: @dbos-inc/dbos-sdk (apps/dbos-app.mjs, workflows started by
// a plain node:http server) on the machine's PostgreSQL from apt, in a fresh database of
// its own (role and database `pounce_peers`, remade each run). PEERS_PG_URL skips the
// set-up and uses that database instead.
import { type ChildProcess, execFileSync } from "node:child_process";
import { freePort } from "../daemon.ts";
import {
  cpuMs,
  HttpInvoked,
  rssOf,
  startApp,
  stopProcess,
  type System,
  type Throughput,
} from "./system.ts";

const DB = "pounce_peers";

type Cluster = { version: string; name: string; port: string };

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

const asPostgres = (cmd: string, args: string[]) =>
  run("runuser", ["-u", "postgres", "--", cmd, ...args]);

function cluster(): Cluster | undefined {
  try {
    const line = run("pg_lsclusters", ["--no-header"]).split("\n")[0];
    const [version, name, port] = line.split(/\s+/);
    return version ? { version, name, port } : undefined;
  } catch {
    return undefined;
  }
}

// PostgreSQL from apt, started, with this benchmark's own role and a fresh database.
function preparePostgres(say: (what: string) => void): { url: string; cluster?: Cluster } {
  if (process.env.PEERS_PG_URL) return { url: process.env.PEERS_PG_URL };
  let c = cluster();
  if (!c) {
    say("installing PostgreSQL (apt-get install postgresql)");
    execFileSync("apt-get", ["install", "-y", "-q", "postgresql"], { stdio: "ignore" });
    c = cluster();
    if (!c) throw new Error("PostgreSQL: no cluster after apt-get install postgresql");
  }
  try {
    run("pg_ctlcluster", [c.version, c.name, "start"]);
  } catch { /* already running */ }
  for (let i = 0; i < 100; i++) {
    try {
      run("pg_isready", ["-q", "-h", "127.0.0.1", "-p", c.port]);
      break;
    } catch {
      execFileSync("sleep", ["0.1"]);
    }
  }
  const psql = (sql: string) => asPostgres("psql", ["-p", c.port, "-qtAc", sql]);
  psql(
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${DB}') THEN ` +
      `CREATE ROLE ${DB} LOGIN PASSWORD '${DB}'; END IF; END $$`,
  );
  asPostgres("dropdb", ["-p", c.port, "--if-exists", DB]);
  asPostgres("createdb", ["-p", c.port, "-O", DB, DB]);
  return { url: `postgresql://${DB}:${DB}@127.0.0.1:${c.port}/${DB}`, cluster: c };
}

export class Dbos implements System {
  readonly name = "DBOS";
  // What the run says about the database (version, fsync, synchronous_commit).
  settings = "";

  private constructor(
    private readonly app: ChildProcess,
    private readonly client: HttpInvoked,
    private readonly cluster?: Cluster,
  ) {}

  static async start(say: (what: string) => void): Promise<Dbos> {
    const { url, cluster } = preparePostgres(say);
    const port = await freePort();
    const app = await startApp("dbos-app", { PORT: String(port), DBOS_SYSTEM_DATABASE_URL: url });
    const self = new Dbos(app, new HttpInvoked(`http://127.0.0.1:${port}`), cluster);
    try {
      await self.client.call("first", null);
      if (cluster) {
        self.settings = `PostgreSQL ${cluster.version} (${
          ["fsync", "synchronous_commit"].map((s) =>
            `${s} ${asPostgres("psql", ["-p", cluster.port, "-qtAc", `SHOW ${s}`])}`
          ).join(", ")
        })`;
      }
    } catch (err) {
      await self.stop();
      throw err;
    }
    return self;
  }

  // The app and the PostgreSQL backends serving its connections (their CPU is the
  // database's share of each workflow).
  private backends(): number[] {
    if (!this.cluster) return [];
    const out = asPostgres("psql", [
      "-p",
      this.cluster.port,
      "-qtAc",
      `SELECT pid FROM pg_stat_activity WHERE datname = '${DB}'`,
    ]);
    return out.split("\n").filter(Boolean).map(Number);
  }

  steps(n: number): Promise<number[]> {
    return this.client.steps(n);
  }

  firstLine(): Promise<number> {
    return this.client.firstLine();
  }

  throughput(clients: number, seconds: number): Promise<Throughput> {
    return this.client.throughput(
      clients,
      seconds,
      () => cpuMs([this.app.pid!, ...this.backends()]),
    );
  }

  memory() {
    return { mb: rssOf([this.app.pid!]), what: "app process (PostgreSQL not counted)" };
  }

  async stop(): Promise<void> {
    await stopProcess(this.app);
  }
}
