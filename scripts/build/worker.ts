// The offload worker thread as a single executable carries it: one self-contained CommonJS
// script, started from its code (src/runtime.ts offloadWorker). The binary and the
// benchmark's bundle embed the same script.
import { join } from "node:path";
import { build } from "esbuild";

export async function offloadWorkerScript(root: string): Promise<string> {
  const worker = await build({
    entryPoints: [join(root, "src/core/util/offload-worker.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    write: false,
    logLevel: "warning",
  });
  return worker.outputFiles[0].text;
}
