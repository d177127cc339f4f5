// A handler's location: `dir/file.py:function`. AutoKitteh also takes `file.py function`.
// Parsed here only, as the runner's loader (pounce/runner/loader.py) parses it.

// The canonical `file.py:function` form of a location as the manifest or a caller wrote it.
export function canonicalEntrypoint(text: string): string {
  return text.replace(" ", ":");
}

// The file part of a location (`dir/file.py`), or undefined when it names no function.
export function entrypointFile(text: string): string | undefined {
  const canonical = canonicalEntrypoint(text.trim());
  const colon = canonical.lastIndexOf(":");
  return colon > 0 ? canonical.slice(0, colon).trim() : undefined;
}

// The Python module a location imports: `dir/file.py:function` -> `dir.file`; null when
// the file part is not a module path.
export function entryModule(text: string): string | null {
  let file = entrypointFile(text);
  if (file === undefined) return null;
  file = file.replace(/\.py$/, "").replaceAll("\\", "/");
  while (file.startsWith("./")) file = file.slice(2);
  const module = file.replace(/^\/+|\/+$/g, "").replaceAll("/", ".");
  return /^[A-Za-z_][\w.]*$/.test(module) ? module : null;
}
