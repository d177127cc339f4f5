// `npm run build`: dist/pounce, one executable file for linux-x64 holding the daemon, the CLI,
// the migrations, the py-sdk and the other asset trees of src/assets.ts, and libSQL's native
// addon; plus dist/pounce.sha256. It is node with a small loader as its SEA main
// (scripts/build/loader.ts) and the rest in a payload after the executable image
// (src/payload.ts): the daemon's bundle, its V8 code cache, the offload worker's script, the
// asset trees' files and the addon. `--deno` writes dist/pounce-deno.mjs instead, an ES module
// bundle for `deno compile` (see README.md).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileFunction } from "node:vm";
import { build as esbuild, type BuildOptions } from "esbuild";
import { MAIN_CACHE, MAIN_CODE } from "../src/payload.ts";
import { VERSION } from "../src/version.ts";
import { embeddedModule, fileHash } from "./build/embed.ts";
import { MAIN_PARAMS } from "./build/main-wrapper.ts";
import { appendPayload } from "./build/payload.ts";
import { embeddedPlugin, libsqlPlugin } from "./build/plugins.ts";
import { makeSea } from "./build/sea.ts";
import { offloadWorkerScript } from "./build/worker.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const work = join(dist, "build");
const LIBSQL_ASSET = "libsql.node";
const WORKER_ASSET = "offload-worker.cjs";
const libsqlAddon = join(root, "node_modules/@libsql/linux-x64-gnu/index.node");

function commit(): string {
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .trim();
  try {
    const head = git("rev-parse", "HEAD");
    return git("status", "--porcelain", "--untracked-files=no") ? `${head}-dirty` : head;
  } catch {
    return "unknown";
  }
}

const common: BuildOptions = {
  entryPoints: [join(root, "src/cli/main.ts")],
  bundle: true,
  platform: "node",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
};

async function buildBinary(): Promise<void> {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error("the binary is built for linux-x64, on linux-x64");
  }
  const info = {
    version: VERSION,
    commit: commit(),
    addons: { [LIBSQL_ASSET]: fileHash(libsqlAddon) },
  };
  const out = join(dist, "pounce");
  const sums = join(dist, "pounce.sha256");
  // A failed build must not leave an older binary behind for the tests to find.
  rmSync(out, { force: true });
  rmSync(sums, { force: true });
  const bundle = join(work, "pounce.cjs");
  const loader = join(work, "loader.cjs");
  const workerScript = join(work, WORKER_ASSET);
  writeFileSync(workerScript, await offloadWorkerScript(root));
  const embedded = embeddedModule(root, info, WORKER_ASSET);
  await esbuild({
    ...common,
    format: "cjs",
    outfile: bundle,
    // The Node path of the code (sourceRoot) is never taken inside the binary.
    logOverride: { "empty-import-meta": "silent" },
    // `import()` of a built-in (an OpenTelemetry exporter's `import("http")`) as `require`:
    // the loader's vm.Script has no module loader for dynamic imports.
    supported: { "dynamic-import": false },
    // ws's optional native helpers are not in the binary: skip its `require` attempts.
    define: {
      "process.env.WS_NO_BUFFER_UTIL": '"1"',
      "process.env.WS_NO_UTF_8_VALIDATE": '"1"',
    },
    plugins: [
      embeddedPlugin(embedded.module),
      libsqlPlugin(root, LIBSQL_ASSET),
    ],
  });
  await esbuild({
    ...common,
    entryPoints: [join(root, "scripts/build/loader.ts")],
    format: "cjs",
    outfile: loader,
  });
  // The code cache of the bundle as the loader compiles it (this node is the binary's).
  const code = readFileSync(bundle);
  const { cachedData: cache } = compileFunction(code.toString("utf8"), MAIN_PARAMS, {
    filename: bundle,
    produceCachedData: true,
  }) as { cachedData?: Buffer };
  if (!cache) throw new Error("V8 made no code cache for the bundle");
  makeSea({ main: loader, out, workDir: work });
  appendPayload(out, {
    [MAIN_CODE]: code,
    [MAIN_CACHE]: cache,
    [WORKER_ASSET]: workerScript,
    ...embedded.files,
    [LIBSQL_ASSET]: libsqlAddon,
  });
  const sum = createHash("sha256").update(readFileSync(out)).digest("hex");
  writeFileSync(sums, `${sum}  pounce\n`);
  const mb = (statSync(out).size / 1e6).toFixed(1);
  console.log(`built dist/pounce (${mb} MB, ${info.commit}), sha256 ${sum}`);
}

// For `deno compile`: npm packages stay imports (Deno embeds node_modules, libSQL's addon
// included); the code, migrations and asset trees are in the bundle.
async function buildDenoBundle(): Promise<void> {
  const info = { version: VERSION, commit: commit(), addons: {} };
  const outfile = join(dist, "pounce-deno.mjs");
  await esbuild({
    ...common,
    format: "esm",
    packages: "external",
    outfile,
    plugins: [embeddedPlugin(embeddedModule(root, info).module)],
  });
  console.log(`built dist/pounce-deno.mjs (${info.commit})`);
}

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
await (process.argv.includes("--deno") ? buildDenoBundle() : buildBinary());
