// Where the py-sdk (packages `pounce` and `autokitteh`) lives, for PYTHONPATH: the source
// folder, or in the single binary a copy written once to the data dir.
import { assetDir } from "../assets.ts";
import { dataDir } from "../core/util/paths.ts";

export function sdkDir(): string {
  return process.env.POUNCE_SDK_DIR || assetDir("py-sdk", dataDir());
}

export function pythonPath(env: Record<string, string | undefined>): string {
  return env.PYTHONPATH ? `${sdkDir()}:${env.PYTHONPATH}` : sdkDir();
}
