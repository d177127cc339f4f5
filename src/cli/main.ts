// The `pounce` command line.
import { VERSION, versionInfo } from "../version.ts";
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
import { venvCommand } from "./commands/venv.ts";

const HELP = `pounce ${VERSION}: durable, event-triggered Python workflows

usage: pounce <command> [options]

  up [--port 9980] [--host 127.0.0.1] [--db URL] [--log-level L]   run the daemon
  deploy [--manifest autokitteh.yaml] [--dir D]                    deploy a project
  session list|get|prints|log|watch|delete|download-logs           inspect sessions, live with --tail
  project list|create|get|delete    deployment list|get|activate|deactivate|delete
  build list|get|download    manifest validate|plan    trigger list    event list|get
  var set|get|delete                                               project and connection vars
  connection list|get|test                                         integration connections
  venv list|prune [--dry-run]                                      per-requirements Python venvs
  backup <file>                                                    copy the database to one file
  doctor    config where                                           data dir, Python, venvs
  version [--json]                                                 version, commit, runtime

Every command takes --json, --url (POUNCE_URL) and --token (POUNCE_TOKEN). See docs/cli.md.`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  // Loaded only when used: the daemon's modules take seconds to load, the client's do not.
  up: async (argv) => (await import("./commands/up.ts")).upCommand(argv),
  deploy: deployCommand,
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
    const info = versionInfo();
    console.log(
      argv.includes("--json")
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
  const command = commands[name];
  if (!command) {
    throw new CliError(`unknown command "${name}"; see \`pounce help\``, EXIT.badRequest);
  }
  await command(rest);
}

main(process.argv.slice(2)).catch((err) => {
  const code = err instanceof CliError ? err.code : EXIT.generic;
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(code);
});
