// Commands made of subcommands (`pounce session list`, ...): a map from name to function.
import { HelpShown, setCommandPath, wantsHelp } from "./args.ts";
import { CliError, EXIT } from "./client.ts";
import { suggestion } from "../core/util/did-you-mean.ts";

export type Subcommand = (argv: string[]) => Promise<void>;

export async function runSubcommand(
  command: string,
  subcommands: Record<string, Subcommand>,
  argv: string[],
): Promise<void> {
  const [name, ...rest] = argv;
  const run = name && Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (!run && wantsHelp(argv)) {
    console.log(`usage: pounce ${command} ${Object.keys(subcommands).join("|")} [options]

\`pounce ${command} <subcommand> --help\` for a subcommand's options; see docs/cli.md.`);
    throw new HelpShown();
  }
  if (!run) {
    const names = Object.keys(subcommands);
    const unknown = name && !name.startsWith("-")
      ? `unknown subcommand "${name}"${suggestion(name, names)}\n`
      : "";
    throw new CliError(
      `${unknown}usage: pounce ${command} ${names.join("|")} ...; see docs/cli.md`,
      EXIT.badRequest,
    );
  }
  setCommandPath(`${command} ${name}`);
  await run(rest);
}

// The one positional argument a subcommand takes.
export function onePositional(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new CliError(`usage: ${usage}`, EXIT.badRequest);
  return positionals[0];
}
