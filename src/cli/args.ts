// Argument parsing on top of node:util parseArgs, with the global flags every command takes.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError, EXIT } from "./client.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export const globalOptions = {
  json: { type: "boolean", short: "j" },
  url: { type: "string" },
  token: { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies Options;

export function parse<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...globalOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.badRequest);
  }
}

// `key=value` pairs (`--input`, `--data`, `--memo`): a value that parses as JSON is taken
// as JSON, anything else as a string.
export function keyValues(pairs: string[] = [], flag: string, into: Record<string, unknown> = {}) {
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CliError(`${flag} "${pair}" must be key=value`, EXIT.badRequest);
    const raw = pair.slice(eq + 1);
    try {
      into[pair.slice(0, eq)] = JSON.parse(raw);
    } catch {
      into[pair.slice(0, eq)] = raw;
    }
  }
  return into;
}
