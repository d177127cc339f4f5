// Every top-level command, its subcommands and one line on what it is for: `pounce help`,
// a command's `--help` and shell completion all read this table.
export type CommandInfo = {
  name: string;
  subcommands?: readonly string[];
  args?: string;
  what: string;
};

export const COMMANDS: readonly CommandInfo[] = [
  { name: "up", args: "[--port 9980] [--host 127.0.0.1] [--db URL]", what: "run the daemon" },
  { name: "deploy", args: "[--manifest autokitteh.yaml] [--dir D]", what: "deploy a project" },
  { name: "ui", args: "[--no-browser]", what: "a one-time sign-in link to the web UI (opens it)" },
  {
    name: "session",
    subcommands: [
      "list",
      "get",
      "prints",
      "log",
      "watch",
      "delete",
      "download-logs",
      "start",
      "stop",
      "restart",
      "retry",
      "test",
    ],
    what: "sessions",
  },
  { name: "project", subcommands: ["list", "create", "get", "delete"], what: "projects" },
  {
    name: "deployment",
    subcommands: ["list", "get", "activate", "deactivate", "delete"],
    what: "deployments",
  },
  { name: "build", subcommands: ["list", "get", "download"], what: "builds" },
  {
    name: "manifest",
    subcommands: ["validate", "plan"],
    what: "check a manifest, show what deploy would do",
  },
  { name: "trigger", subcommands: ["list"], what: "triggers, with webhook URLs" },
  {
    name: "event",
    subcommands: ["list", "get", "dispatch", "redispatch", "verify-filter"],
    what: "events",
  },
  { name: "var", subcommands: ["set", "get", "delete"], what: "project and connection vars" },
  {
    name: "connection",
    subcommands: ["list", "get", "set", "init", "test"],
    what: "integration connections",
  },
  {
    name: "venv",
    subcommands: ["list", "prune"],
    args: "[--dry-run]",
    what: "per-requirements Python venvs",
  },
  { name: "backup", args: "<file>", what: "copy the database to one file" },
  {
    name: "migrate",
    args: "[--from file:…] --to postgres://… [--force DB]",
    what: "copy a single-node database to PostgreSQL",
  },
  { name: "doctor", what: "data dir, Python, venvs, daemon" },
  { name: "config", subcommands: ["where"], what: "where the data dir is" },
  { name: "completion", args: "<bash|zsh|fish>", what: "shell completion script" },
  { name: "version", args: "[--json]", what: "version, commit, runtime (also --version)" },
];

// `session list|get|…`, with its arguments.
export function usageLine(c: CommandInfo): string {
  return [c.name, c.subcommands?.join("|"), c.args].filter(Boolean).join(" ");
}

export function commandNamed(name: string): CommandInfo | undefined {
  return COMMANDS.find((c) => c.name === name);
}
