// Where Pounce keeps its files.
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export function dataDir(env: Record<string, string | undefined> = process.env): string {
  if (env.POUNCE_HOME) return env.POUNCE_HOME;
  const xdg = env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(xdg, "pounce");
}

export function ensureDir(path: string, mode = 0o700): string {
  mkdirSync(path, { recursive: true, mode });
  keepPrivate(path, mode);
  return path;
}

// Takes away from a file or directory any permission beyond `mode` (e.g. a data dir made
// 0755 by hand becomes 0700): the token, the secrets key and the database live there.
export function keepPrivate(path: string, mode: number): void {
  const current = statSync(path).mode & 0o777;
  if (current & ~mode) chmodSync(path, current & mode);
}
