// Test helpers: a real daemon process on 127.0.0.1 with its own data dir, and the real CLI.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after } from "node:test";
import { fileURLToPath } from "node:url";
import { bundledMain } from "./bundle.ts";
import { dropDatabase, freshDatabase, TEST_DB } from "./pg.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = `file://${ROOT}/node_modules/tsx/dist/loader.mjs`;
const MAIN = join(ROOT, "src/cli/main.ts");
// Bounds on what must not hang; far above what a slow machine needs.
const STOP_WAIT_MS = 20_000;
const CLI_WAIT_MS = 120_000;

// How tests run `pounce`: on the runtime running the tests, `deno run -A` of src/ under
// `deno task test`, on Node a bundle of src/ (bundle.ts says why), or src/ through tsx with
// POUNCE_TEST_FROM_SOURCE=1 (stack traces then name the source files).
const BUNDLE = "Deno" in globalThis || process.env.POUNCE_TEST_FROM_SOURCE === "1"
  ? undefined
  : await bundledMain();
export function pounceCommand(): string[] {
  return BUNDLE ? [process.execPath, "--no-warnings", BUNDLE] : sourceCommand();
}

// `pounce` from src/ itself: Node with tsx's loader, or Deno.
export function sourceCommand(): string[] {
  return "Deno" in globalThis
    ? [process.execPath, "run", "-A", MAIN]
    : [process.execPath, "--no-warnings", "--import", TSX, MAIN];
}

export type CliResult = { code: number; stdout: string; stderr: string };

// With POUNCE_TEST_DB: the PostgreSQL database of each data dir, as pounce.db is the data
// dir's on libSQL: every daemon started on a data dir (a restart, a new TestDaemon on the
// same home) finds what the earlier ones wrote. Dropped by dropDb, or when the tests of
// this process are done (else by the next run: pg.ts).
const databaseOfHome = new Map<string, Promise<string>>();
let dropAtExit = false;
function databaseFor(home: string): Promise<string> {
  let url = databaseOfHome.get(home);
  if (!url) {
    url = freshDatabase();
    databaseOfHome.set(home, url);
  }
  if (!dropAtExit) {
    dropAtExit = true;
    process.once("beforeExit", async () => {
      const left = [...databaseOfHome.values()];
      databaseOfHome.clear();
      for (const u of left) await dropDatabase(await u).catch(() => {});
    });
  }
  return url;
}

export class TestDaemon {
  proc?: ChildProcess;
  url = "";
  stderr = "";

  // `command` runs pounce (default: from source); `cwd` is where the CLI runs.
  constructor(
    readonly home: string,
    readonly extraEnv: Record<string, string> = {},
    readonly command: string[] = pounceCommand(),
    readonly cwd: string = ROOT,
  ) {}

  get env(): Record<string, string> {
    return {
      ...process.env as Record<string, string>,
      POUNCE_HOME: this.home,
      // No default environment unless a test asks for one (batteries.test.ts): a test project
      // importing, say, requests would otherwise build AutoKitteh's whole list with pip.
      POUNCE_BATTERIES: "",
      ...this.extraEnv,
    };
  }

  get token(): string {
    return readFileSync(join(this.home, "token"), "utf8").trim();
  }

  // Restarts reuse the arguments of the first start unless given new ones.
  private args: string[] = [];

  // With POUNCE_TEST_DB (pg.ts): this daemon's own PostgreSQL database, kept across restarts.
  dbUrl?: string;

  async start(args?: string[]): Promise<void> {
    if (args) this.args = args;
    args = this.args;
    if (TEST_DB && !args.includes("--db") && !this.extraEnv.POUNCE_DB) {
      this.dbUrl ??= await databaseFor(this.home);
      args = [...args, "--db", this.dbUrl];
    }
    this.stderr = "";
    const [cmd, ...pre] = this.command;
    const proc = spawn(cmd, [...pre, "up", "--port", "0", ...args], {
      env: this.env,
      cwd: this.cwd,
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.proc = proc;
    proc.stderr!.setEncoding("utf8");
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`daemon did not start:\n${this.stderr}`)),
        30_000,
      );
      proc.stderr!.on("data", (chunk: string) => {
        this.stderr += chunk;
        const m = this.stderr.match(/pounce started url=(\S+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      proc.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`daemon exited with ${code}:\n${this.stderr}`));
      });
    });
  }

  // Drops the PostgreSQL database made for this daemon (once it has stopped).
  async dropDb(): Promise<void> {
    if (this.dbUrl) await dropDatabase(this.dbUrl);
    this.dbUrl = undefined;
    databaseOfHome.delete(this.home);
  }

  // SIGTERM and wait: a clean stop.
  async stop(): Promise<void> {
    await this.signal("SIGTERM");
  }

  // SIGKILL and wait: a crash.
  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  // A daemon that does not stop within STOP_WAIT_MS of SIGTERM is killed, and the test
  // fails with its log: a hang is a failure, never a stalled suite.
  private async signal(sig: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    let stuck = false;
    const timer = setTimeout(() => {
      stuck = true;
      proc.kill("SIGKILL");
    }, STOP_WAIT_MS);
    proc.kill(sig);
    await exited;
    clearTimeout(timer);
    if (stuck) {
      throw new Error(`daemon did not stop within ${STOP_WAIT_MS} ms of ${sig}:\n${this.stderr}`);
    }
  }

  cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return runCli(args, { ...this.env, POUNCE_URL: this.url, ...env }, this.command, this.cwd);
  }

  async api<T = unknown>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(this.url + path, {
      signal: AbortSignal.timeout(CLI_WAIT_MS),
      ...init,
      headers: { authorization: `Bearer ${this.token}`, ...(init.headers ?? {}) },
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return await res.json() as T;
  }

  // Polls until the project's session `sessionId` (or latest) reaches a final state.
  async waitSession(ref: string, timeoutMs = 20_000): Promise<SessionJson> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const { session } = await this.api<{ session: SessionJson }>(`/api/sessions/${ref}`);
        if (["completed", "error", "stopped"].includes(session.state)) return session;
        if (Date.now() > deadline) throw new Error(`session ${ref} still ${session.state}`);
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      await sleep(50);
    }
  }

  async prints(ref: string): Promise<string[]> {
    const res = await this.api<{ prints: { text: string }[] }>(`/api/sessions/${ref}/prints`);
    return res.prints.map((p) => p.text);
  }
}

export type SessionJson = {
  session_id: string;
  state: string;
  error: string | null;
  return_value: string | null;
};

// A directory session code may write to and the test reads: as root, runners run as
// nobody (docs/cli.md, --runner-user).
export function sessionDir<T extends string>(dir: T): T {
  chmodSync(dir, 0o777);
  return dir;
}

// Clean-ups for a whole test file: `scope.after(fn)` runs fn once every test of the file
// has run, the last added first.
export function fileScope(): { after(fn: () => unknown): void } {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  return { after: (fn) => void cleanups.push(fn) };
}

export function tempHome(t: { after(fn: () => unknown): void }): string {
  const home = mkdtempSync(join(tmpdir(), "pounce-test-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

// A started daemon in a fresh data dir, stopped when the test ends.
export async function daemonFor(
  t: { after(fn: () => unknown): void },
  env: Record<string, string> = {},
  args: string[] = [],
  command: string[] = pounceCommand(),
): Promise<TestDaemon> {
  const home = mkdtempSync(join(tmpdir(), "pounce-test-"));
  const d = new TestDaemon(home, env, command);
  // After hooks run in the order they were added: stop the daemon before its data dir goes,
  // or it may still be writing there while the directory is removed.
  t.after(async () => {
    await d.kill();
    await d.dropDb();
    rmSync(home, { recursive: true, force: true });
  });
  await d.start(args);
  return d;
}

export function runCli(
  args: string[],
  env: Record<string, string>,
  command: string[] = pounceCommand(),
  cwd: string = ROOT,
): Promise<CliResult> {
  const [cmd, ...pre] = command;
  return new Promise((resolve) => {
    const options = { env, cwd, timeout: CLI_WAIT_MS, killSignal: "SIGKILL" as const };
    execFile(cmd, [...pre, ...args], options, (err, stdout, stderr) => {
      if (err?.killed) stderr += `\n(test helper: killed after ${CLI_WAIT_MS} ms)`;
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Writes a project (manifest + files) into a temp dir and returns the manifest's path.
export function writeProject(
  t: { after(fn: () => unknown): void },
  files: Record<string, string>,
): string {
  const dir = mkdtempSync(join(tmpdir(), "pounce-proj-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return join(dir, "autokitteh.yaml");
}

// The webhook path a deploy printed for a trigger.
export function webhookPath(deployOutput: string, trigger: string): string {
  const m = deployOutput.match(new RegExp(`trigger "${trigger}".*webhook path is "([^"]+)"`));
  if (!m) throw new Error(`no webhook path for ${trigger} in:\n${deployOutput}`);
  return m[1];
}
