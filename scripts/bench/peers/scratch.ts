// The peers live in a scratch dir outside the repository (never in its package.json):
// installed there with npm at pinned versions, with the apps (apps/) copied beside them so
// their imports resolve from that node_modules.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const SCRATCH = process.env.PEERS_DIR ?? "/tmp/pounce-peers";

export const VERSIONS = {
  "@restatedev/restate-server": "1.7.12",
  "@restatedev/restate-sdk": "1.17.2",
  "@dbos-inc/dbos-sdk": "5.3.0",
} as const;

const APPS = fileURLToPath(new URL("./apps/", import.meta.url));

function installed(name: string): string | undefined {
  const file = join(SCRATCH, "node_modules", name, "package.json");
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")).version : undefined;
}

export function installPeers(say: (what: string) => void): void {
  mkdirSync(SCRATCH, { recursive: true });
  const manifest = join(SCRATCH, "package.json");
  if (!existsSync(manifest)) {
    writeFileSync(
      manifest,
      JSON.stringify({ name: "pounce-peers", private: true, type: "module" }),
    );
  }
  const missing = Object.entries(VERSIONS).filter(([name, v]) => installed(name) !== v);
  if (missing.length) {
    say(`installing ${missing.map(([n, v]) => `${n}@${v}`).join(", ")} into ${SCRATCH}`);
    execFileSync(
      "npm",
      [
        "install",
        "--prefix",
        SCRATCH,
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        ...missing.map(([n, v]) => `${n}@${v}`),
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
  }
  for (const app of ["restate-app.mjs", "dbos-app.mjs"]) {
    copyFileSync(join(APPS, app), join(SCRATCH, app));
  }
}
