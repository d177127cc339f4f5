import { execFileSync } from "node:child_process";
import { build } from "./embedded.ts";
import { runtimeName, sourceRoot } from "./runtime.ts";

// Kept equal to package.json's version (a test checks).
export const VERSION = "0.1.0";

export type VersionInfo = { version: string; commit: string; runtime: string };

// `pounce version --json`. The binary carries the commit it was built from; from source, git
// is asked when it is there.
export function versionInfo(): VersionInfo {
  return { version: VERSION, commit: build?.commit ?? sourceCommit(), runtime: runtimeName() };
}

function sourceCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: sourceRoot(),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}
