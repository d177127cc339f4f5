// The daemon's own log: one line per event worth knowing, on stderr.
export type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

let threshold: Level = "info";

export function setLogLevel(level: Level): void {
  threshold = level;
}

export function isLevel(value: string): value is Level {
  return value in order;
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (order[level] < order[threshold]) return;
  const extra = fields
    ? Object.entries(fields).map(([k, v]) =>
      ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
    )
      .join("")
    : "";
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}${extra}\n`);
}

// The rejection handler of work nobody awaits: the failure is logged as `what`.
export function logFailure(
  what: string,
  fields?: Record<string, unknown>,
): (err: unknown) => void {
  return (err) =>
    write("error", what, { ...fields, error: err instanceof Error ? err.message : String(err) });
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write("error", msg, fields),
};
