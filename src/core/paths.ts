// Where Pounce keeps its files.
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export function dataDir(env: Record<string, string | undefined> = process.env): string {
  if (env.POUNCE_HOME) return env.POUNCE_HOME;
  const xdg = env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(xdg, "pounce");
}

export function ensureDir(path: string, mode = 0o700): string {
  mkdirSync(path, { recursive: true, mode });
  return path;
}
