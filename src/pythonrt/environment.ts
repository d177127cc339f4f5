// What `pounce doctor` and `pounce venv list` report: the data dir, the interpreter, the
// py-sdk, the default environment and the venvs with their sizes (and, from the daemon,
// who uses each).
import { join } from "node:path";
import { batteriesKey, type BatteriesRecord, batteryList, readRecord } from "./batteries.ts";
import type { Python } from "./python.ts";
import { sdkDir } from "./sdk.ts";
import { listVenvs, type VenvInfo } from "./venvs.ts";

export type VenvJson = {
  key: string;
  path: string;
  python: string;
  python_version: string | null;
  complete: boolean;
  bytes: number;
  created_at: string | null;
  requirements: string[];
  // The default environment (batteries.ts), not a project's requirements.
  default_environment: boolean;
  // null when not known (the daemon was not asked).
  in_use: boolean | null;
  projects: string[];
};

export type EnvironmentJson = {
  data_dir: string;
  python: { executable: string; version: string } | { error: string };
  sdk_dir: string;
  venvs_dir: string;
  // null when there is none (an empty battery list, no interpreter).
  default_environment: DefaultEnvironmentJson | null;
  venvs: VenvJson[];
};

// The default environment: its packages, and once built what it holds and lacks.
export type DefaultEnvironmentJson =
  & { key: string; path: string; packages: string[]; built: boolean }
  & Partial<Omit<BatteriesRecord, "packages">>;

export function venvJson(v: VenvInfo, usage: Map<string, string[]> | null): VenvJson {
  return {
    key: v.key,
    path: v.path,
    python: v.python,
    python_version: v.pythonVersion,
    complete: v.complete,
    bytes: v.bytes,
    created_at: v.createdAt ? new Date(v.createdAt).toISOString() : null,
    requirements: (v.requirements ?? "").split(/\r?\n/).map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#")),
    default_environment: v.batteries,
    in_use: usage ? usage.has(v.key) : null,
    projects: usage?.get(v.key) ?? [],
  };
}

export function environmentJson(
  dataDir: string,
  python: Python | Error,
  venvsDir: string,
  usage: Map<string, string[]> | null,
  batteries: string[] = batteryList(),
): EnvironmentJson {
  return {
    data_dir: dataDir,
    python: python instanceof Error
      ? { error: python.message }
      : { executable: python.executable, version: python.version },
    sdk_dir: sdkDir(),
    venvs_dir: venvsDir,
    default_environment: python instanceof Error || !batteries.length
      ? null
      : defaultEnvironmentJson(venvsDir, batteriesKey(python, batteries), batteries),
    venvs: listVenvs(venvsDir).map((v) => venvJson(v, usage)),
  };
}

function defaultEnvironmentJson(
  venvsDir: string,
  key: string,
  packages: string[],
): DefaultEnvironmentJson {
  const path = join(venvsDir, key);
  const record = readRecord(path);
  if (!record) return { key, path, packages, built: false };
  const { installed, failed, unreachable } = record;
  return { key, path, packages, built: true, installed, failed, unreachable };
}
