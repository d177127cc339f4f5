// Turns a CommonJS script into a Node single executable application: a copy of the running
// `node` (stripped of its debug symbols) with the script injected
// (https://nodejs.org/api/single-executable-applications.html). The script is
// scripts/build/loader.ts, small: what it runs follows in the payload (src/payload.ts).
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

export type SeaOptions = {
  main: string;
  out: string;
  workDir: string;
};

export function makeSea(opts: SeaOptions): void {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 16)) {
    throw new Error(`building the binary needs Node 20.16 or newer (this is ${process.version})`);
  }
  const config = join(opts.workDir, "sea-config.json");
  const blob = join(opts.workDir, "sea-prep.blob");
  writeFileSync(
    config,
    JSON.stringify({
      main: opts.main,
      output: blob,
      disableExperimentalSEAWarning: true,
    }),
  );
  execFileSync(process.execPath, ["--experimental-sea-config", config], { stdio: "ignore" });
  copyFileSync(process.execPath, opts.out);
  chmodSync(opts.out, 0o755);
  strip(opts.out);
  // postject's CLI rather than its API: its ELF parser chatters on stderr, shown on failure only.
  const postject = fileURLToPath(import.meta.resolve("postject/dist/cli.js"));
  const args = [postject, opts.out, "NODE_SEA_BLOB", blob, "--sentinel-fuse", FUSE];
  try {
    execFileSync(process.execPath, args, { stdio: "pipe" });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`postject failed: ${stdout ?? ""}${stderr ?? ""}`);
  }
}

// Debug symbols are a tenth of node's size and nothing at run time needs them.
function strip(file: string): void {
  try {
    execFileSync("strip", ["--strip-all", file], { stdio: "ignore" });
  } catch (err) {
    console.warn(`strip failed, the binary keeps its symbols: ${(err as Error).message}`);
  }
}
