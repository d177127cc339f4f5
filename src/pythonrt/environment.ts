// What `pounce doctor` and `pounce venv list` report: the data dir, the interpreter, the
// py-sdk and the venvs with their sizes (and, from the daemon, who uses each).
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
  // null when not known (the daemon was not asked).
  in_use: boolean | null;
  projects: string[];
};

export type EnvironmentJson = {
  data_dir: string;
  python: { executable: string; version: string } | { error: string };
  sdk_dir: string;
  venvs_dir: string;
  venvs: VenvJson[];
};

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
    in_use: usage ? usage.has(v.key) : null,
    projects: usage?.get(v.key) ?? [],
  };
}

export function environmentJson(
  dataDir: string,
  python: Python | Error,
  venvsDir: string,
  usage: Map<string, string[]> | null,
): EnvironmentJson {
  return {
    data_dir: dataDir,
    python: python instanceof Error
      ? { error: python.message }
      : { executable: python.executable, version: python.version },
    sdk_dir: sdkDir(),
    venvs_dir: venvsDir,
    venvs: listVenvs(venvsDir).map((v) => venvJson(v, usage)),
  };
}
