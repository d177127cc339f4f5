// On Node, the tests run `pounce` from one esbuild bundle of src/ instead of through tsx's
// loader: tsx compiles and resolves each of the daemon's modules in a loader thread, which
// made every daemon start take 2–4 s of CPU and every CLI call about 1 s; the bundle loads
// in a third of that, and the suite starts hundreds of them. Deno runs src/ itself (its
// pass, and bin/pounce in quickstart.test.ts, keep the unbundled paths tested).
//
// The bundle keeps what running from source means: packages stay in node_modules (the
// bundle is written under node_modules/.cache so they resolve), each module's
// import.meta.url is its own source file's (src/runtime.ts finds the tree and the offload
// worker from it), and dynamic imports stay separate chunks, so the CLI loads no daemon.
// It is named by its content's hash: test processes running at once share it, and a change
// to src/ makes a new one; bundles not made for a day are removed.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");
const CACHE = join(ROOT, "node_modules/.cache/pounce-test");
const DAY_MS = 24 * 3600_000;

// The bundle's entry file, built if this content was not built before.
export async function bundledMain(): Promise<string> {
  const { build } = await import("esbuild");
  const out = await build({
    entryPoints: [MAIN],
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    outdir: "/pounce-bundle",
    write: false,
    logLevel: "warning",
    plugins: [{
      name: "own-import-meta-url",
      setup(b) {
        b.onLoad({ filter: /\/src\/.*\.ts$/ }, (args) => ({
          contents: readFileSync(args.path, "utf8").replaceAll(
            "import.meta.url",
            JSON.stringify(pathToFileURL(args.path).href),
          ),
          loader: "ts",
        }));
      },
    }],
  });
  const hash = createHash("sha256");
  for (const f of out.outputFiles) hash.update(f.path).update(f.contents);
  const dir = join(CACHE, hash.digest("hex").slice(0, 16));
  const entry = join(dir, "main.js");
  if (existsSync(entry)) return entry;
  const tmp = `${dir}.${process.pid}.tmp`;
  for (const f of out.outputFiles) {
    const path = join(tmp, relative("/pounce-bundle", f.path));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.contents);
  }
  writeFileSync(join(tmp, "package.json"), '{"type":"module"}\n');
  try {
    renameSync(tmp, dir);
  } catch {
    // Another test process wrote the same bundle first.
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const old of readdirSync(CACHE)) {
    const path = join(CACHE, old);
    if (Date.now() - statSync(path).mtimeMs > DAY_MS) {
      rmSync(path, { recursive: true, force: true });
    }
  }
  return entry;
}
