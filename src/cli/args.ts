// Argument parsing on top of node:util parseArgs, with the global flags every command takes.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError, EXIT } from "./client.ts";
import { suggestion } from "../core/util/did-you-mean.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export const globalOptions = {
  json: { type: "boolean", short: "j" },
  url: { type: "string" },
  token: { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies Options;

// `--help`/`-h` anywhere before `--`: a command shows its usage and runs nothing.
export function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

// `--json`/`-j`/`-J` anywhere before `--`.
export function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => ["--json", "-j", "-J"].includes(a));
}

// Thrown once usage has been printed; the CLI exits 0 without doing anything else.
export class HelpShown extends Error {
  constructor() {
    super("help shown");
  }
}

// The command being run (`session list`), for its usage line.
let commandPath = "";
export function setCommandPath(path: string): void {
  commandPath = path;
}

// The usage of the running command, from the options it parses: always what it accepts.
export function usage(options: Options): string {
  const all: Record<string, Options[string]> = { ...options, ...globalOptions };
  const lines = Object.entries(all).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${
      o.type === "string" ? " VALUE" : ""
    }`;
    const notes = [
      o.multiple ? "repeatable" : "",
      o.default !== undefined ? `default ${String(o.default)}` : "",
    ].filter(Boolean).join(", ");
    return `  ${flag}${notes ? `  (${notes})` : ""}`;
  });
  return `usage: pounce ${commandPath} [options]\n\noptions:\n${
    lines.join("\n")
  }\n\nSee docs/cli.md.`;
}

// AutoKitteh's `ak` spellings, taken where the command has the flag they stand for.
const AK_FLAGS: Record<string, string> = {
  "-J": "--json",
  "--state-type": "--state",
  "--deployment-id": "--deployment",
};

function akFlag(arg: string, options: Options): string {
  const [flag, ...value] = arg.split("=");
  const ours = AK_FLAGS[flag];
  if (!ours || !(ours.slice(2) in options)) return arg;
  return [ours, ...value].join("=");
}

// Every command's first step: its flags, or its usage and nothing else for --help.
export function parse<O extends Options>(argv: string[], options: O) {
  if (wantsHelp(argv)) {
    console.log(usage(options));
    throw new HelpShown();
  }
  const all = { ...globalOptions, ...options };
  const end = argv.indexOf("--");
  const args = argv.map((a, i) => (end >= 0 && i > end ? a : akFlag(a, all)));
  try {
    return parseArgs({ args, options: all, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(flagError(err as Error & { code?: string }, all), EXIT.badRequest);
  }
}

function flagError(err: Error & { code?: string }, options: Options): string {
  const unknown = err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" &&
    /'(--?[^']+)'/.exec(err.message)?.[1];
  if (!unknown) return err.message;
  const flags = Object.keys(options).map((name) => `--${name}`);
  const typed = unknown.split("=")[0];
  return `unknown option "${typed}"${suggestion(typed, flags)} (see --help)`;
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
