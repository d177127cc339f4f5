// Builds: the project's files, immutable, and their unpacked copy on disk that runners
// use as their code directory.
import { eq } from "drizzle-orm";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { Db } from "./db/client.ts";
import { builds } from "./db/schema.ts";

export type BuildFiles = Record<string, Uint8Array>;

export const MAX_BUILD_BYTES = 64 << 20;
export const MAX_BUILD_FILES = 5000;

export class BuildError extends Error {}

// Checks an uploaded file name: relative, no `..`, no empty parts, no backslashes.
export function checkFileName(name: string): void {
  const parts = name.split("/");
  if (
    !name || name.startsWith("/") || name.includes("\\") || name.includes("\0") ||
    parts.some((p) => p === "" || p === "." || p === "..")
  ) {
    throw new BuildError(`bad file name ${JSON.stringify(name)}`);
  }
}

export function checkBuildFiles(files: BuildFiles): void {
  const names = Object.keys(files);
  if (names.length > MAX_BUILD_FILES) throw new BuildError(`more than ${MAX_BUILD_FILES} files`);
  let total = 0;
  for (const name of names) {
    checkFileName(name);
    total += files[name].length;
  }
  if (total > MAX_BUILD_BYTES) throw new BuildError(`build larger than ${MAX_BUILD_BYTES} bytes`);
}

export function encodeFiles(files: BuildFiles): Buffer {
  const out: Record<string, string> = {};
  for (const [name, data] of Object.entries(files)) {
    out[name] = Buffer.from(data).toString("base64");
  }
  return Buffer.from(JSON.stringify({ files: out }));
}

export function decodeFiles(blob: Uint8Array): BuildFiles {
  const parsed = JSON.parse(Buffer.from(blob).toString("utf8")) as {
    files: Record<string, string>;
  };
  const out: BuildFiles = {};
  for (const [name, b64] of Object.entries(parsed.files)) out[name] = Buffer.from(b64, "base64");
  return out;
}

export function writeFiles(dir: string, files: BuildFiles): void {
  for (const [name, data] of Object.entries(files)) {
    checkFileName(name);
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
}

// Unpacked builds, one directory per build id, written once.
export class CodeDirs {
  // `unpacked`: told of each build directory as it is written (runner-user.ts shares it).
  constructor(
    private readonly db: Db,
    readonly root: string,
    private readonly unpacked: (dir: string) => void = () => {},
  ) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  }

  // The build directories unpacked so far.
  list(): string[] {
    return readdirSync(this.root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith("."))
      .map((e) => join(this.root, e.name));
  }

  async get(buildId: string): Promise<string> {
    const dir = join(this.root, buildId);
    if (existsSync(dir)) return dir;
    const row = await this.db.query.builds.findFirst({ where: eq(builds.id, buildId) });
    if (!row) throw new BuildError(`build ${buildId} not found`);
    const tmp = mkdtempSync(join(this.root, `.${buildId}-`));
    try {
      writeFiles(tmp, decodeFiles(row.files));
      this.unpacked(tmp);
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(dir)) throw err;
    }
    return dir;
  }
}
