// `pounce version` from source, on the runtime running the tests (Node, or Deno under
// `deno task test`): version, commit and runtime.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { VERSION } from "../../src/version.ts";
import { ROOT, runCli } from "../helpers/daemon.ts";

test("VERSION is package.json's version", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  assert.equal(VERSION, pkg.version);
});

test("version --json gives the version, the commit and the runtime", async () => {
  const res = await runCli(["version", "--json"], process.env as Record<string, string>);
  assert.equal(res.code, 0, res.stderr);
  const info = JSON.parse(res.stdout);
  assert.equal(info.version, VERSION);
  assert.equal(
    info.runtime,
    "Deno" in globalThis ? `deno ${Deno.version.deno}` : `node ${process.versions.node}`,
  );
  let head = "unknown";
  try {
    head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch { /* not a git checkout */ }
  assert.equal(info.commit, head);

  const text = await runCli(["version"], process.env as Record<string, string>);
  assert.equal(
    text.stdout.trim(),
    `pounce ${VERSION}, commit ${head.slice(0, 12)}, ${info.runtime}`,
  );
});

declare const Deno: { version: { deno: string } };
