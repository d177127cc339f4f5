// The `pounce` command line.
import { VERSION, versionInfo } from "../version.ts";
import { HelpShown, parse, setCommandPath, wantsHelp } from "./args.ts";
import { CliError, EXIT } from "./client.ts";
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

// One line per command: `pounce help` lists them; `pounce <command> --help` shows its line
// when the command has subcommands (each subcommand's --help lists its options).
const SUMMARY: [name: string, usage: string, what: string][] = [
  ["up", "up [--port 9980] [--host 127.0.0.1] [--db URL]", "run the daemon"],
  ["deploy", "deploy [--manifest autokitteh.yaml] [--dir D]", "deploy a project"],
  ["ui", "ui [--no-browser]", "a one-time sign-in link to the web UI (opens it)"],
  [
    "session",
    "session list|get|prints|log|watch|delete|download-logs|start|stop|restart|test",
    "sessions",
  ],
  ["project", "project list|create|get|delete", "projects"],
  ["deployment", "deployment list|get|activate|deactivate|delete", "deployments"],
  ["build", "build list|get|download", "builds"],
  ["manifest", "manifest validate|plan", "check a manifest, show what deploy would do"],
  ["trigger", "trigger list", "triggers, with webhook URLs"],
  ["event", "event list|get|dispatch|redispatch|verify-filter", "events"],
  ["var", "var set|get|delete", "project and connection vars"],
  ["connection", "connection list|get|test", "integration connections"],
  ["venv", "venv list|prune [--dry-run]", "per-requirements Python venvs"],
  ["backup", "backup <file>", "copy the database to one file"],
  ["doctor", "doctor", "data dir, Python, venvs, daemon"],
  ["config", "config where", "where the data dir is"],
  ["version", "version [--json]", "version, commit, runtime (also --version)"],
];

const HELP = `pounce ${VERSION}: durable, event-triggered Python workflows

usage: pounce <command> [options]

${SUMMARY.map(([, use, what]) => `  ${use.padEnd(64)} ${what}`).join("\n")}

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
  config: configCommand,
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
    throw new CliError(`unknown command "${name}"; see \`pounce help\``, EXIT.badRequest);
  }
  const use = SUMMARY.find(([n]) => n === name)?.[1] ?? name;
  const takesSubcommand = /^[a-z]/.test(use.split(" ")[1] ?? "");
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

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof HelpShown) process.exit(0);
  const code = err instanceof CliError ? err.code : EXIT.generic;
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(code);
});
