// The `pounce` command line.
import { VERSION } from "../version.ts";
import { runtimeName } from "../runtime.ts";
import { CliError, EXIT } from "./client.ts";
import { deployCommand } from "./commands/deploy.ts";
import {
  deploymentCommand,
  eventCommand,
  projectCommand,
  triggerCommand,
  varCommand,
} from "./commands/resources.ts";
import { sessionCommand } from "./commands/session.ts";
import { upCommand } from "./commands/up.ts";

const HELP = `pounce ${VERSION}: durable, event-triggered Python workflows

usage: pounce <command> [options]

  up [--port 9980] [--host 127.0.0.1] [--db URL] [--log-level L]   run the daemon
  deploy [--manifest autokitteh.yaml] [--dir D]                    deploy a project
  session list|get|prints|log                                      inspect sessions
  project list    deployment list    trigger list    event list|get
  var set|get|delete                                               project and connection vars
  version

Every command takes --json, --url (POUNCE_URL) and --token (POUNCE_TOKEN). See docs/cli.md.`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  up: upCommand,
  deploy: deployCommand,
  session: sessionCommand,
  project: projectCommand,
  deployment: deploymentCommand,
  trigger: triggerCommand,
  var: varCommand,
  event: eventCommand,
  version: (argv) => {
    const info = { version: VERSION, runtime: runtimeName() };
    console.log(
      argv.includes("--json") ? JSON.stringify(info) : `pounce ${VERSION} (${info.runtime})`,
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
