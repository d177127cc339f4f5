// Per-requirements virtual environments: `<data>/venvs/<key>`, one per distinct
// requirements.txt (and interpreter), built at deploy so that no session waits for pip,
// shared by every build with the same file, removed by prune once nothing uses them.
// The default environment (batteries.ts) is one more venv, built the first time a build
// imports one of its packages. A build that uses it and has a requirements.txt gets a venv
// that sees the default environment's site-packages after its own (a .pth file), so the
// project's packages come first and no project's packages reach another project. A build
// that needs neither runs on the bare interpreter.
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { type BuildFiles, writeFiles } from "../core/projects/builds.ts";
import { log } from "../core/util/log.ts";
import {
  batteriesKey,
  type BatteriesRecord,
  batteryList,
  batteryWarnings,
  HINTS_FILE,
  installBatteries,
  mentionsBatteries,
  missingModules,
  type Need,
  neededBatteries,
  readRecord,
  RECORD_FILE,
} from "./batteries.ts";
import { scanCode, scanDir } from "./exports.ts";
import type { Python } from "./python.ts";
import { installable, REQUIREMENTS_FILE, venvKey } from "./requirements.ts";
import { type Logged, runLogged } from "./run-logged.ts";
import { sdkDir } from "./sdk.ts";

export type VenvInfo = {
  key: string;
  path: string;
  python: string;
  complete: boolean;
  bytes: number;
  createdAt: number | null;
  pythonVersion: string | null;
  requirements: string | null;
  batteries: boolean;
};

// Which venvs a build runs on, from its requirements.txt and its imports.
export type Plan = {
  // The venv of its runners (null: the bare interpreter): its requirements' venv, else
  // the default environment, else none.
  key: string | null;
  // The default environment's key, when the build uses it.
  batteries: string | null;
  // The imports the default environment is there for.
  needs: Need[];
};

export type Ensured = {
  key: string | null;
  python: string;
  created: boolean;
  // The default environment, when the build uses it: whether this deploy built it.
  batteries: { key: string; created: boolean } | null;
  // Deploy output: the imported modules the default environment could not provide.
  warnings: string[];
  // Lets prune remove the venvs again; call once the deployment that needs them is stored.
  release(): void;
};

export class VenvError extends Error {}

export function venvsDir(dataDir: string): string {
  return join(dataDir, "venvs");
}

const MARKER = ".complete";
const SDK_PTH = "_pounce_sdk.pth";
const BATTERIES_PTH = "_pounce_batteries.pth";
const FILTERED = ".pounce-requirements.txt";
const STEP_TIMEOUT_MS = 30 * 60_000;

export class Venvs {
  private readonly building = new Map<string, Promise<void>>();
  private readonly holds = new Map<string, number>();
  private readonly codeDirPlans = new Map<string, Promise<Plan>>();
  private readonly buildKeys = new Map<string, Promise<string[]>>();
  private readonly linked = new Set<string>();
  private readonly touched = new Map<string, number>();
  private epoch = 0;

  constructor(
    readonly root: string,
    readonly base: Python,
    readonly batteries: string[] = batteryList(),
  ) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  }

  get batteriesKey(): string {
    return batteriesKey(this.base, this.batteries);
  }

  // The venvs for a build's files, given the modules its code imports (exports.ts).
  plan(files: BuildFiles, imports: string[]): Plan {
    const requirements = files[REQUIREMENTS_FILE];
    const text = requirements ? new TextDecoder().decode(requirements) : null;
    const needs = neededBatteries(imports, this.batteries, text);
    const batteries = needs.length ? this.batteriesKey : null;
    const key = requirements ? venvKey(this.base, requirements, batteries) : batteries;
    return { key, batteries, needs };
  }

  // Whether ensure() will have to build a venv (and so run pip).
  willBuild(plan: Plan): boolean {
    return [plan.key, plan.batteries].some((k) => k && !this.isComplete(k));
  }

  // The venvs a build's runners use (for prune and listings), remembered per build.
  keysOfBuild(buildId: string, files: BuildFiles): Promise<string[]> {
    let keys = this.buildKeys.get(buildId);
    if (!keys) {
      keys = this.planFor(files).then((p) =>
        [p.key, p.batteries].filter((k): k is string => k !== null)
      )
        .then((k) => [...new Set(k)]);
      this.buildKeys.set(buildId, keys);
    }
    return keys;
  }

  // The default environment as built, null before.
  batteriesRecord(): BatteriesRecord | null {
    return readRecord(join(this.root, this.batteriesKey));
  }

  pythonOf(key: string): string {
    return join(this.root, key, "bin", "python");
  }

  isComplete(key: string): boolean {
    return existsSync(join(this.root, key, MARKER));
  }

  // At deploy: the venvs of the plan, built if missing, with pip's output handed to
  // onLine. Held against prune until release().
  async ensure(files: BuildFiles, plan: Plan, onLine: (line: string) => void): Promise<Ensured> {
    const { key, batteries } = plan;
    const releases = [key, batteries].filter((k): k is string => k !== null).map((k) =>
      this.hold(k)
    );
    const release = () => releases.forEach((r) => r());
    try {
      let built: Ensured["batteries"] = null;
      let warnings: string[] = [];
      if (batteries) {
        built = { key: batteries, created: await this.buildBatteries(onLine) };
        const record = this.batteriesRecord();
        warnings = record ? batteryWarnings(plan.needs, record) : [];
      }
      const created = key !== null && key !== batteries &&
        await this.build(
          key,
          this.requirementsInstall((src) => writeFiles(src, files), batteries),
          onLine,
        );
      const python = key ? this.pythonOf(key) : this.base.executable;
      return { key, python, created, batteries: built, warnings, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  // At runner launch: the interpreter for an unpacked build.
  async pythonFor(codeDir: string): Promise<string> {
    let planned = this.codeDirPlans.get(codeDir);
    if (!planned) {
      planned = this.planFor(codeDir);
      this.codeDirPlans.set(codeDir, planned);
      planned.catch(() => this.codeDirPlans.delete(codeDir));
    }
    const { key, batteries } = await planned;
    if (key === null) return this.base.executable;
    // Only when a venv went away after the deploy (removed by hand, another interpreter
    // since): build it rather than fail the session.
    const quiet = (line: string) => log.debug("build_venv", { codeDir, line });
    if (batteries && !this.isComplete(batteries)) {
      log.warn("default environment missing at session start, building it", { venv: batteries });
      await this.buildBatteries(quiet);
    }
    if (key !== batteries && !this.isComplete(key)) {
      log.warn("venv missing at session start, building it", { venv: key });
      await this.build(
        key,
        this.requirementsInstall((src) => cpSync(codeDir, src, { recursive: true }), batteries),
        quiet,
      );
    }
    this.linkSdk(key);
    return this.pythonOf(key);
  }

  // The plan of an unpacked build (a directory) or of a build's files. Python scans the
  // imports only of code that mentions a module of the default environment.
  private async planFor(code: string | BuildFiles): Promise<Plan> {
    const files: BuildFiles = typeof code === "string"
      ? pythonSources(code)
      : Object.fromEntries(Object.entries(code).filter(([p]) => p.endsWith(".py")));
    const requirements = typeof code === "string"
      ? readIfExists(join(code, REQUIREMENTS_FILE))
      : code[REQUIREMENTS_FILE];
    if (requirements) files[REQUIREMENTS_FILE] = requirements;
    const texts = Object.entries(files).filter(([p]) => p.endsWith(".py"))
      .map(([, b]) => new TextDecoder().decode(b));
    if (!mentionsBatteries(texts, this.batteries)) return this.plan(files, []);
    try {
      const scan = typeof code === "string"
        ? await scanDir(this.base, code)
        : await scanCode(this.base, code);
      return this.plan(files, scan.imports);
    } catch (err) {
      log.warn("import scan failed, default environment not used", { error: String(err) });
      return this.plan(files, []);
    }
  }

  list(): VenvInfo[] {
    return listVenvs(this.root);
  }

  // Builds the default environment once. Returns whether this call built it.
  private buildBatteries(onLine: (line: string) => void): Promise<boolean> {
    const key = this.batteriesKey;
    return this.build(key, async (dir) => {
      onLine(
        `[exec] build_venv: creating the default environment "${key}" (Python ${this.base.version}): ${
          this.batteries.join(" ")
        }`,
      );
      await this.makeVenv(key, dir, onLine);
      const pip = (args: string[], line: (l: string) => void) =>
        this.run(this.pythonOf(key), ["-m", "pip", ...args], dir, line);
      const record = await installBatteries(pip, this.batteries, onLine);
      writeFileSync(join(dir, RECORD_FILE), JSON.stringify(record, null, 2) + "\n");
      writeFileSync(join(dir, REQUIREMENTS_FILE), this.batteries.join("\n") + "\n");
      const missing = Object.fromEntries(missingModules(record));
      writeFileSync(join(sitePackages(dir), HINTS_FILE), JSON.stringify({ missing }) + "\n");
    }, onLine);
  }

  // Installs a build's requirements.txt into a new venv, on the default environment when
  // `batteries` names it.
  private requirementsInstall(
    writeSource: (dir: string) => void,
    batteries: string | null,
  ): Install {
    return async (dir, onLine) => {
      const key = basename(dir);
      // The project's files, so that `-r other.txt` and local paths in the requirements
      // resolve as they would in the project's directory.
      const src = mkdtempSync(join(this.root, `.src-${key}-`));
      try {
        writeSource(src);
        const requirements = readFileSync(join(src, REQUIREMENTS_FILE), "utf8");
        const { text, skipped } = installable(requirements);
        for (const name of skipped) {
          onLine(`[exec] build_venv: skipping "${name}", Pounce provides it`);
        }
        // The file itself when nothing was left out, so that pip's messages name it.
        const file = skipped.length ? FILTERED : REQUIREMENTS_FILE;
        if (skipped.length) writeFileSync(join(src, FILTERED), text);
        onLine(
          `[exec] build_venv: creating "${key}" (Python ${this.base.version})${
            batteries ? ` on the default environment "${batteries}"` : ""
          }`,
        );
        await this.makeVenv(key, dir, onLine);
        // Before pip runs: what the default environment has already is not installed
        // again; a version it lacks goes into this venv, which comes first. addsitedir,
        // not a plain path, so that the default environment's own .pth files apply too.
        if (batteries) {
          const site = JSON.stringify(sitePackages(join(this.root, batteries)));
          writeFileSync(
            join(sitePackages(dir), BATTERIES_PTH),
            `import site; site.addsitedir(${site})\n`,
          );
        }
        const pip = ["-m", "pip", "install", "--no-input", "--disable-pip-version-check"];
        const { code, lines } = await this.run(
          this.pythonOf(key),
          [...pip, "-r", file],
          src,
          (line) => onLine(`[pip] ${line}`),
        );
        if (code !== 0) throw failure("pip install", lines);
        writeFileSync(join(dir, REQUIREMENTS_FILE), requirements);
      } finally {
        rmSync(src, { recursive: true, force: true });
      }
    };
  }

  private async makeVenv(key: string, dir: string, onLine: (line: string) => void) {
    const { code, lines } = await this.run(
      this.base.executable,
      ["-m", "venv", dir],
      this.root,
      onLine,
    );
    if (code !== 0) {
      const of = key === this.batteriesKey ? "the default environment" : REQUIREMENTS_FILE;
      throw failure("python -m venv", lines, of);
    }
    this.linkSdk(key);
  }

  // Removes every venv not in use, not being built and not held by a deploy, and the
  // leftovers of interrupted builds. Returns the removed keys. A venv a deploy held at any
  // time since the usage was asked for is kept: its deployment may be newer than the answer.
  async prune(inUse: () => Promise<Set<string>>, dryRun = false): Promise<string[]> {
    const since = this.epoch;
    const used = await inUse();
    const removed: string[] = [];
    for (const e of readdirSync(this.root, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const key = e.name.startsWith(".src-") ? e.name.split("-")[1] : e.name;
      if (
        used.has(key) || this.building.has(key) || this.holds.has(key) ||
        (this.touched.get(key) ?? 0) > since
      ) continue;
      if (!e.name.startsWith(".")) removed.push(key);
      if (dryRun) continue;
      rmSync(join(this.root, e.name), { recursive: true, force: true });
      this.linked.delete(key);
    }
    return removed.sort();
  }

  private hold(key: string): () => void {
    this.holds.set(key, (this.holds.get(key) ?? 0) + 1);
    this.touched.set(key, ++this.epoch);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.touched.set(key, ++this.epoch);
      const n = this.holds.get(key)! - 1;
      if (n > 0) this.holds.set(key, n);
      else this.holds.delete(key);
    };
  }

  // Builds the venv once; concurrent callers for the same key wait for that build.
  // Returns whether this call built it.
  private async build(
    key: string,
    install: Install,
    onLine: (line: string) => void,
  ): Promise<boolean> {
    if (this.isComplete(key)) return false;
    const pending = this.building.get(key);
    if (pending) {
      onLine(`[exec] build_venv: waiting for the build of "${key}" already under way`);
      await pending;
      return false;
    }
    const building = this.create(key, install, onLine).finally(() => this.building.delete(key));
    this.building.set(key, building);
    await building;
    return true;
  }

  private async create(
    key: string,
    install: Install,
    onLine: (line: string) => void,
  ): Promise<void> {
    const dir = join(this.root, key);
    rmSync(dir, { recursive: true, force: true }); // an interrupted earlier build
    try {
      await install(dir, onLine);
      writeFileSync(
        join(dir, MARKER),
        JSON.stringify({
          python: this.base.executable,
          version: this.base.version,
          created_at: Date.now(),
        }),
      );
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      this.linked.delete(key);
      throw err;
    }
  }

  private run(
    command: string,
    args: string[],
    cwd: string,
    onLine: (line: string) => void,
  ): Promise<Logged> {
    const env: Record<string, string | undefined> = {
      ...process.env,
      PIP_USER: "0", // a user-wide `user = true` would make pip refuse to install in a venv
    };
    delete env.PYTHONPATH;
    delete env.PYTHONHOME;
    return runLogged(command, args, { cwd, env, timeoutMs: STEP_TIMEOUT_MS, onLine });
  }

  // The py-sdk is importable in the venv (for the runner, and for a person who runs the
  // venv's python by hand) through a .pth file: no install, no network. Rewritten when
  // the SDK's directory changed since.
  private linkSdk(key: string): void {
    if (this.linked.has(key)) return;
    const pth = join(sitePackages(join(this.root, key)), SDK_PTH);
    const line = sdkDir() + "\n";
    if (readIfExists(pth)?.toString() !== line) writeFileSync(pth, line);
    this.linked.add(key);
  }
}

type Install = (dir: string, onLine: (line: string) => void) => Promise<void>;

function failure(what: string, lines: string[], of = REQUIREMENTS_FILE): VenvError {
  const errors = lines.filter((l) => l.startsWith("ERROR:"));
  let message = (errors.length ? errors : lines.slice(-15)).join("\n");
  if (what === "python -m venv" && /ensurepip/.test(message)) {
    message += "\n(on Debian and Ubuntu, install the python3-venv package)";
  }
  return new VenvError(`${what} failed for ${of}:\n${message}`);
}

function sitePackages(venvDir: string): string {
  const lib = join(venvDir, "lib");
  const pyDir = readdirSync(lib).find((name) => name.startsWith("python"));
  if (!pyDir) throw new VenvError(`venv "${basename(venvDir)}" has no lib/python*/ directory`);
  return join(lib, pyDir, "site-packages");
}

// The .py files of an unpacked build, as the import scan walks them.
function pythonSources(root: string): BuildFiles {
  const files: BuildFiles = {};
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(join(dir, e.name), path);
      } else if (e.name.endsWith(".py")) files[path] = readFileSync(join(dir, e.name));
    }
  };
  walk(root, "");
  return files;
}

const SKIP_DIRS = new Set(["__pycache__", "node_modules", "site-packages"]);

// The venvs under a root directory; reads only (the CLI uses it without a daemon).
export function listVenvs(root: string): VenvInfo[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => venvInfo(root, e.name))
    .sort((a, b) => a.key.localeCompare(b.key));
}

function venvInfo(root: string, key: string): VenvInfo {
  const path = join(root, key);
  let marker: { version?: string; created_at?: number } = {};
  try {
    marker = JSON.parse(readFileSync(join(path, MARKER), "utf8"));
  } catch { /* not complete */ }
  const requirements = readIfExists(join(path, REQUIREMENTS_FILE));
  return {
    key,
    path,
    python: join(path, "bin", "python"),
    complete: existsSync(join(path, MARKER)),
    bytes: treeBytes(path),
    createdAt: marker.created_at ?? null,
    pythonVersion: marker.version ?? null,
    requirements: requirements ? requirements.toString("utf8") : null,
    batteries: existsSync(join(path, RECORD_FILE)),
  };
}

function readIfExists(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

// Bytes of the files under a directory; symbolic links count as links.
function treeBytes(path: string): number {
  let total = 0;
  const walk = (p: string) => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      const child = join(p, e.name);
      if (e.isDirectory()) walk(child);
      else total += lstatSync(child).size;
    }
  };
  try {
    walk(path);
  } catch { /* removed meanwhile */ }
  return total;
}
