// Where the py-sdk (packages `pounce` and `autokitteh`) lives, for PYTHONPATH.
import { fileURLToPath } from "node:url";

export function sdkDir(): string {
  return process.env.POUNCE_SDK_DIR ?? fileURLToPath(new URL("../../py-sdk", import.meta.url));
}

export function pythonPath(env: Record<string, string | undefined>): string {
  return env.PYTHONPATH ? `${sdkDir()}:${env.PYTHONPATH}` : sdkDir();
}
