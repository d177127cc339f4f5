// Builds: the project's files, immutable, and their unpacked copy on disk that runners
// use as their code directory.
import { desc, eq, inArray } from "drizzle-orm";
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
import type { Db } from "../db/client.ts";
import { LIVE_STATES } from "../sessions/rows.ts";
import { builds, deployments, projects, sessions } from "../db/schema.ts";

export type Build = typeof builds.$inferSelect;
export type BuildFiles = Record<string, Uint8Array>;

export function buildById(db: Db, id: string): Promise<Build | undefined> {
  return db.query.builds.findFirst({ where: eq(builds.id, id) });
}

// Builds without their files, newest first; of one project when given.
export function listBuilds(
  db: Db,
  projectId?: string,
): Promise<Pick<Build, "id" | "projectId" | "createdAt">[]> {
  return db.select({ id: builds.id, projectId: builds.projectId, createdAt: builds.createdAt })
    .from(builds).where(projectId ? eq(builds.projectId, projectId) : undefined)
    .orderBy(desc(builds.createdAt), desc(builds.id));
}

// The builds still in use, with their project's name: those of active and draining
// deployments, and of sessions not yet ended (a build may appear more than once).
export async function buildsInUse(db: Db): Promise<{ buildId: string; project: string }[]> {
  return [
    ...await db.select({ buildId: deployments.buildId, project: projects.name })
      .from(deployments)
      .innerJoin(projects, eq(projects.id, deployments.projectId))
      .where(inArray(deployments.state, ["active", "draining"])),
    ...await db.selectDistinct({ buildId: sessions.buildId, project: projects.name })
      .from(sessions)
      .innerJoin(projects, eq(projects.id, sessions.projectId))
      .where(inArray(sessions.state, LIVE_STATES)),
  ];
}

export const MAX_BUILD_BYTES = 64 << 20;
export const MAX_BUILD_FILES = 5000;

export class BuildError extends Error {}

// Linux takes names up to 255 bytes and paths up to 4096; a build's paths are written
// under the daemon's own directories, so they get a quarter of that.
export const MAX_FILE_NAME_BYTES = 255;
export const MAX_FILE_PATH_BYTES = 1024;

// A file name as errors show it: quoted, and cut short when long.
function shown(name: string): string {
  return JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
}

// Checks an uploaded file name: relative, no `..`, no empty parts, no backslashes, not
// too long. An upload holds regular files only (there is no way to say "link"), so
// nothing written from a build can point out of it.
export function checkFileName(name: string): void {
  const parts = name.split("/");
  if (
    !name || name.startsWith("/") || name.includes("\\") || name.includes("\0") ||
    parts.some((p) => p === "" || p === "." || p === "..")
  ) {
    throw new BuildError(`files: bad file name ${shown(name)}`);
  }
  const bytes = (text: string) => new TextEncoder().encode(text).length;
  if (bytes(name) > MAX_FILE_PATH_BYTES) {
    throw new BuildError(`files: ${shown(name)}: longer than ${MAX_FILE_PATH_BYTES} bytes`);
  }
  if (parts.some((p) => bytes(p) > MAX_FILE_NAME_BYTES)) {
    throw new BuildError(
      `files: ${shown(name)}: a name longer than ${MAX_FILE_NAME_BYTES} bytes`,
    );
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
  // "lib" and "lib/x.py" cannot both be written.
  const dirs = new Set<string>();
  for (const name of names) {
    for (let at = name.indexOf("/"); at > 0; at = name.indexOf("/", at + 1)) {
      dirs.add(name.slice(0, at));
    }
  }
  const clash = names.find((n) => dirs.has(n));
  if (clash !== undefined) {
    const inside = names.find((n) => n.startsWith(`${clash}/`))!;
    throw new BuildError(
      `files: ${shown(clash)} is both a file and a directory (of ${shown(inside)})`,
    );
  }
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
  // Build directories seen on disk (nothing removes one while the daemon runs): every
  // session asks, and a look at the disk each time cost a system call.
  private readonly known = new Set<string>();

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
    if (this.known.has(dir)) return dir;
    if (existsSync(dir)) {
      this.known.add(dir);
      return dir;
    }
    const row = await buildById(this.db, buildId);
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
    this.known.add(dir);
    return dir;
  }
}
