// Per-requirements virtual environments: `<data>/venvs/<key>`, one per distinct
// requirements.txt (and interpreter), built at deploy so that no session waits for pip,
// shared by every build with the same file, removed by prune once nothing uses them.
// A build without requirements.txt runs on the bare interpreter.
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
import { join } from "node:path";
import { type BuildFiles, writeFiles } from "../core/projects/builds.ts";
import { log } from "../core/util/log.ts";
import type { Python } from "./python.ts";
import { installable, REQUIREMENTS_FILE, venvKey } from "./requirements.ts";
import { runLogged } from "./run-logged.ts";
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
};

export type Ensured = {
  key: string | null;
  python: string;
  created: boolean;
  // Lets prune remove the venv again; call once the deployment that needs it is stored.
  release(): void;
};

export class VenvError extends Error {}

export function venvsDir(dataDir: string): string {
  return join(dataDir, "venvs");
}

const MARKER = ".complete";
const SDK_PTH = "_pounce_sdk.pth";
const FILTERED = ".pounce-requirements.txt";
const STEP_TIMEOUT_MS = 30 * 60_000;

export class Venvs {
  private readonly building = new Map<string, Promise<void>>();
  private readonly holds = new Map<string, number>();
  private readonly codeDirKeys = new Map<string, string | null>();
  private readonly linked = new Set<string>();
  private readonly touched = new Map<string, number>();
  private epoch = 0;

  constructor(readonly root: string, readonly base: Python) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  }

  keyOf(requirements: Uint8Array): string {
    return venvKey(this.base, requirements);
  }

  pythonOf(key: string): string {
    return join(this.root, key, "bin", "python");
  }

  isComplete(key: string): boolean {
    return existsSync(join(this.root, key, MARKER));
  }

  // At deploy: the venv for the build's requirements, built if missing, with pip's
  // output handed to onLine. Held against prune until release().
  async ensure(files: BuildFiles, onLine: (line: string) => void): Promise<Ensured> {
    const requirements = files[REQUIREMENTS_FILE];
    if (!requirements) {
      return { key: null, python: this.base.executable, created: false, release: () => {} };
    }
    const key = this.keyOf(requirements);
    const release = this.hold(key);
    try {
      const created = await this.build(key, (src) => writeFiles(src, files), onLine);
      return { key, python: this.pythonOf(key), created, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  // At runner launch: the interpreter for an unpacked build.
  async pythonFor(codeDir: string): Promise<string> {
    let key = this.codeDirKeys.get(codeDir);
    if (key === undefined) {
      const requirements = readIfExists(join(codeDir, REQUIREMENTS_FILE));
      key = requirements ? this.keyOf(requirements) : null;
      this.codeDirKeys.set(codeDir, key);
    }
    if (key === null) return this.base.executable;
    if (!this.isComplete(key)) {
      // Only when the venv went away after the deploy (removed by hand, another
      // interpreter since): build it rather than fail the session.
      log.warn("venv missing at session start, building it", { venv: key });
      await this.build(key, (src) => cpSync(codeDir, src, { recursive: true }), (line) => {
        log.debug("build_venv", { venv: key, line });
      });
    }
    this.linkSdk(key);
    return this.pythonOf(key);
  }

  list(): VenvInfo[] {
    return listVenvs(this.root);
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
    writeSource: (dir: string) => void,
    onLine: (line: string) => void,
  ): Promise<boolean> {
    if (this.isComplete(key)) return false;
    const pending = this.building.get(key);
    if (pending) {
      onLine(`[exec] build_venv: waiting for the build of "${key}" already under way`);
      await pending;
      return false;
    }
    const building = this.create(key, writeSource, onLine).finally(() => this.building.delete(key));
    this.building.set(key, building);
    await building;
    return true;
  }

  private async create(
    key: string,
    writeSource: (dir: string) => void,
    onLine: (line: string) => void,
  ): Promise<void> {
    const dir = join(this.root, key);
    rmSync(dir, { recursive: true, force: true }); // an interrupted earlier build
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
      onLine(`[exec] build_venv: creating "${key}" (Python ${this.base.version})`);
      await this.step(this.base.executable, ["-m", "venv", dir], src, onLine, "python -m venv");
      this.linkSdk(key);
      await this.step(
        this.pythonOf(key),
        ["-m", "pip", "install", "--no-input", "--disable-pip-version-check", "-r", file],
        src,
        (line) => onLine(`[pip] ${line}`),
        "pip install",
      );
      writeFileSync(join(dir, REQUIREMENTS_FILE), requirements);
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
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  }

  private async step(
    command: string,
    args: string[],
    cwd: string,
    onLine: (line: string) => void,
    what: string,
  ): Promise<void> {
    const env: Record<string, string | undefined> = {
      ...process.env,
      PIP_USER: "0", // a user-wide `user = true` would make pip refuse to install in a venv
    };
    delete env.PYTHONPATH;
    delete env.PYTHONHOME;
    const { code, lines } = await runLogged(command, args, {
      cwd,
      env,
      timeoutMs: STEP_TIMEOUT_MS,
      onLine,
    });
    if (code === 0) return;
    const errors = lines.filter((l) => l.startsWith("ERROR:"));
    let message = (errors.length ? errors : lines.slice(-15)).join("\n");
    if (what === "python -m venv" && /ensurepip/.test(message)) {
      message += "\n(on Debian and Ubuntu, install the python3-venv package)";
    }
    throw new VenvError(`${what} failed for ${REQUIREMENTS_FILE}:\n${message}`);
  }

  // The py-sdk is importable in the venv (for the runner, and for a person who runs the
  // venv's python by hand) through a .pth file: no install, no network. Rewritten when
  // the SDK's directory changed since.
  private linkSdk(key: string): void {
    if (this.linked.has(key)) return;
    const lib = join(this.root, key, "lib");
    const pyDir = readdirSync(lib).find((name) => name.startsWith("python"));
    if (!pyDir) throw new VenvError(`venv "${key}" has no lib/python*/ directory`);
    const pth = join(lib, pyDir, "site-packages", SDK_PTH);
    const line = sdkDir() + "\n";
    if (readIfExists(pth)?.toString() !== line) writeFileSync(pth, line);
    this.linked.add(key);
  }
}

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
