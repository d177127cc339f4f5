// Finds the Python interpreter once, at start: POUNCE_PYTHON, AutoKitteh's
// AK_WORKER_PYTHON, else the first python3/python on PATH, resolved to the real
// executable behind shims such as pyenv's (which cost ~130 ms per start).
import { execFileSync } from "node:child_process";

export type Python = { executable: string; version: string };

export const MIN_PYTHON = [3, 11];

export class PythonError extends Error {}

export function findPython(env = process.env): Python {
  const candidates = [env.POUNCE_PYTHON, env.AK_WORKER_PYTHON].filter((c): c is string => !!c);
  if (!candidates.length) candidates.push("python3", "python");
  const errors: string[] = [];
  for (const candidate of candidates) {
    try {
      const out = execFileSync(
        candidate,
        ["-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"],
        { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 15_000 },
      ).trim().split("\n");
      const [executable, version] = [out[0], out[1]];
      const [major, minor] = version.split(".").map(Number);
      if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
        throw new PythonError(
          `${candidate} is Python ${version}; Pounce needs Python ${
            MIN_PYTHON.join(".")
          } or newer ` +
            "(set POUNCE_PYTHON to a newer interpreter)",
        );
      }
      return { executable, version };
    } catch (err) {
      if (err instanceof PythonError) throw err;
      errors.push(`${candidate}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  throw new PythonError(`no Python interpreter found (${errors.join("; ")}); set POUNCE_PYTHON`);
}
