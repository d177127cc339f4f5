// A project's requirements.txt: the venv key it selects, and what pip is asked to install.
import { createHash } from "node:crypto";
import type { Python } from "./python.ts";

export const REQUIREMENTS_FILE = "requirements.txt";

// Packages Pounce provides itself (the py-sdk), never installed from an index: AutoKitteh's
// `autokitteh` package is its own runtime's SDK, with gRPC and all its integrations.
const PROVIDED = new Set(["autokitteh", "pounce"]);

// The venv for these requirements under this interpreter (on the default environment of
// key `layer`, when given): same file, same venv.
export function venvKey(
  python: Python,
  requirements: Uint8Array,
  layer: string | null = null,
): string {
  return createHash("sha256")
    .update(`${python.executable}\0${python.version}\0`)
    .update(requirements)
    .update(layer ? `\0on ${layer}` : "")
    .digest("hex")
    .slice(0, 16);
}

// PEP 503 name normalization.
export function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

// The requirements with the packages Pounce provides commented out (so that pip's line
// numbers stay right), and which ones were.
export function installable(text: string): { text: string; skipped: string[] } {
  const skipped: string[] = [];
  const lines = text.split(/\r?\n/).map((line) => {
    const m = line.trim().match(/^([A-Za-z0-9][A-Za-z0-9._-]*)/);
    if (!m || !PROVIDED.has(normalize(m[1]))) return line;
    skipped.push(m[1]);
    return `# ${line.trim()}  (provided by Pounce)`;
  });
  return { text: lines.join("\n"), skipped };
}

// The names of the packages the requirements list (options such as `-r` and URLs aside).
export function requirementNames(text: string): string[] {
  return text.split(/\r?\n/).flatMap((line) => {
    const m = line.trim().match(/^([A-Za-z0-9][A-Za-z0-9._-]*)/);
    return m ? [m[1]] : [];
  });
}
