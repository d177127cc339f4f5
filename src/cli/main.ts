// The `pounce` command line.
import { VERSION, versionInfo } from "../version.ts";
import { HelpShown, parse, setCommandPath, wantsHelp, wantsJson } from "./args.ts";
import { CliError, EXIT } from "./client.ts";
import { suggestion } from "../core/util/did-you-mean.ts";
import { commandNamed, COMMANDS, usageLine } from "./command-table.ts";
import { completionCommand } from "./commands/completion.ts";
import { configCommand } from "./commands/config.ts";
import { connectionCommand } from "./commands/connection.ts";
import { backupCommand } from "./commands/backup.ts";
import { buildCommand } from "./commands/build.ts";
import { deployCommand } from "./commands/deploy.ts";
import { deploymentCommand } from "./commands/deployment.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { manifestCommand } from "./commands/manifest.ts";
import { projectCommand } from "./commands/project.ts";
import { eventCommand, triggerCommand, varCommand } from "./commands/resources.ts";
import { sessionCommand } from "./commands/session.ts";
import { uiCommand } from "./commands/ui.ts";
import { venvCommand } from "./commands/venv.ts";

const HELP = `pounce ${VERSION}: durable, event-triggered Python workflows

usage: pounce <command> [options]

${COMMANDS.map((c) => `  ${usageLine(c).padEnd(64)} ${c.what}`).join("\n")}

Every command takes --json, --url (POUNCE_URL) and --token (POUNCE_TOKEN), and --help to
show its options without running. See docs/cli.md.`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  // Loaded only when used: the daemon's modules take seconds to load, the client's do not.
  up: async (argv) => (await import("./commands/up.ts")).upCommand(argv),
  deploy: deployCommand,
  ui: uiCommand,
  session: sessionCommand,
  project: projectCommand,
  deployment: deploymentCommand,
  build: buildCommand,
  manifest: manifestCommand,
  trigger: triggerCommand,
  var: varCommand,
  connection: connectionCommand,
  event: eventCommand,
  venv: venvCommand,
  doctor: doctorCommand,
  backup: backupCommand,
  migrate: async (argv) => (await import("./commands/migrate.ts")).migrateCommand(argv),
  config: configCommand,
  completion: completionCommand,
  version: (argv) => {
    const { values } = parse(argv, {});
    const info = versionInfo();
    console.log(
      values.json
        ? JSON.stringify(info)
        : `pounce ${info.version}, commit ${info.commit.slice(0, 12)}, ${info.runtime}`,
    );
    return Promise.resolve();
  },
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log(HELP);
    return;
  }
  if (name === "--version" || name === "-V") return await commands.version(rest);
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    throw new CliError(
      `unknown command "${name}"${suggestion(name, Object.keys(commands))} (see \`pounce help\`)`,
      EXIT.badRequest,
    );
  }
  const info = commandNamed(name);
  const use = info ? usageLine(info) : name;
  const takesSubcommand = !!info?.subcommands;
  const sub = takesSubcommand && rest[0] && !rest[0].startsWith("-") ? ` ${rest[0]}` : "";
  setCommandPath(name + sub);
  // Before a subcommand is named, --help shows the command's subcommands; a subcommand's
  // (and a plain command's) --help lists its options (args.ts).
  if (takesSubcommand && wantsHelp(rest.slice(0, 1))) {
    console.log(
      `usage: pounce ${use}\n\n\`pounce ${name} <subcommand> --help\` for its options; see docs/cli.md.`,
    );
    throw new HelpShown();
  }
  await command(rest);
}

const argv = process.argv.slice(2);
main(argv).catch((err) => {
  if (err instanceof HelpShown) process.exit(0);
  const code = err instanceof CliError ? err.code : EXIT.generic;
  const message = err instanceof Error ? err.message : String(err);
  // With --json, errors are JSON too (on stderr, as text errors are).
  console.error(
    wantsJson(argv) ? JSON.stringify({ error: message, exit_code: code }) : `error: ${message}`,
  );
  process.exit(code);
});
