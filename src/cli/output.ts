// How commands print: JSON with --json, else `key: value` text a person reads.
export type Out = { json?: boolean };

export function print(out: Out, value: unknown, text?: () => string): void {
  if (out.json) console.log(JSON.stringify(value));
  else console.log(text ? text() : keyValues(value));
}

export function keyValues(value: unknown, indent = ""): string {
  if (value === null || typeof value !== "object") return `${indent}${String(value)}`;
  return Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) =>
      typeof v === "object"
        ? `${indent}${k}:\n${keyValues(v, indent + "  ")}`
        : `${indent}${k}: ${v}`
    )
    .join("\n");
}

// One line per row: the given columns, separated by two spaces.
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (!rows.length) return "";
  return rows.map((r) => columns.map((c) => `${c}=${r[c] ?? ""}`).join("  ")).join("\n");
}
