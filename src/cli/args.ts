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
