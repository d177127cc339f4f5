// Validates every AutoKitteh manifest under a directory (default /tmp/kittehub), as
// `pounce manifest validate` does without the code check, and prints one line a manifest
// and a summary: how many are valid, which are refused and why, and the warnings.
//
//   node --no-warnings --import tsx scripts/corpus-check.ts [DIR] [--json]
//
// A manifest is a file named autokitteh.yaml or autokitteh-<variant>.yaml; Starlark
// variants (autokitteh-starlark.yaml) are skipped, since Pounce runs Python only.
// The corpus itself is never part of the repository: fetch it to DIR first.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseManifest } from "../src/core/projects/manifest.ts";
import { ManifestError } from "../src/core/projects/manifest-error.ts";
import { eventlessTriggers } from "../src/integrations/registry.ts";

const MANIFEST = /^autokitteh(-[\w-]+)?\.ya?ml$/;

function manifestsUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...manifestsUnder(path));
    else if (MANIFEST.test(entry.name) && !entry.name.includes("starlark")) found.push(path);
  }
  return found.sort();
}

type Outcome = { path: string; valid: boolean; errors: string[]; warnings: string[] };

function check(path: string): Outcome {
  try {
    const m = parseManifest(readFileSync(path, "utf8"));
    return {
      path,
      valid: true,
      errors: [],
      warnings: [...eventlessTriggers(m), ...(m.ignored ?? [])],
    };
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    return { path, valid: false, errors: err.errors, warnings: [] };
  }
}

const args = process.argv.slice(2);
const json = args.includes("--json");
const dir = args.find((a) => !a.startsWith("--")) ?? "/tmp/kittehub";
const outcomes = manifestsUnder(dir).map(check);
const refused = outcomes.filter((o) => !o.valid);

if (json) {
  console.log(JSON.stringify(outcomes.map((o) => ({ ...o, path: relative(dir, o.path) }))));
} else {
  for (const o of outcomes) {
    const name = relative(dir, o.path);
    if (o.valid) console.log(`ok      ${name}${o.warnings.length ? "  (warnings)" : ""}`);
    else console.log(`REFUSED ${name}\n${o.errors.map((e) => `          ${e}`).join("\n")}`);
    for (const w of o.warnings) console.log(`          ${w}`);
  }
  console.log(`\n${outcomes.length - refused.length} valid, ${refused.length} refused`);
}
process.exitCode = refused.length ? 1 : 0;
