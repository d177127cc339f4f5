// The shape of src/: no runtime import cycles, and core's tables stay inside core.
// `import type` is not a runtime edge: it is how a module names another's interface
// without depending on it.
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { ROOT } from "../helpers/daemon.ts";

const SRC = join(ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

// Relative imports of a file, with whether each is type-only.
function imports(file: string): { target: string; typeOnly: boolean }[] {
  const text = readFileSync(file, "utf8");
  const found: { target: string; typeOnly: boolean }[] = [];
  const staticImport = /^\s*(import|export)\s+(type\s+)?[^;]*?\bfrom\s+["'](\.[^"']+)["']/gms;
  for (const m of text.matchAll(staticImport)) {
    found.push({ target: resolve(dirname(file), m[3]), typeOnly: Boolean(m[2]) });
  }
  for (const m of text.matchAll(/\bimport\(\s*["'](\.[^"']+)["']\s*\)/g)) {
    found.push({ target: resolve(dirname(file), m[1]), typeOnly: false });
  }
  return found;
}

const files = sourceFiles(SRC);
const rel = (f: string) => relative(ROOT, f);

test("no runtime import cycles in src/", () => {
  const edges = new Map(
    files.map((f) => [f, imports(f).filter((i) => !i.typeOnly).map((i) => i.target)]),
  );
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(rel(w));
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.map((c) => c.join(" ↔ ")).join("\n")}`);
});

test("nothing outside src/core imports core's schema", () => {
  const schema = join(SRC, "core/db/schema.ts");
  const core = join(SRC, "core") + "/";
  const offenders = files.filter((f) =>
    !f.startsWith(core) && imports(f).some((i) => i.target === schema)
  ).map(rel);
  assert.deepEqual(offenders, []);
});
