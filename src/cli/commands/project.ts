// `pounce project list|create|get|delete`.
import { parse } from "../args.ts";
import { Client } from "../client.ts";
import { print, table } from "../output.ts";
import { onePositional, runSubcommand } from "../subcommands.ts";

type ProjectJson = Record<string, unknown> & { project_id: string; name: string };

export function projectCommand(argv: string[]): Promise<void> {
  return runSubcommand("project", { list, create, get, delete: remove }, argv);
}

async function list(argv: string[]): Promise<void> {
  const { values } = parse(argv, {});
  const res = await new Client(values).get<{ projects: ProjectJson[] }>("/api/projects");
  print(values, res, () => table(res.projects, ["project_id", "name"]));
}

async function create(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    name: { type: "string", short: "n" },
    "display-name": { type: "string", short: "t" },
  });
  const usage = "pounce project create <name> [--display-name TEXT]";
  const name = values.name ?? onePositional(positionals, usage);
  const res = await new Client(values).call<{ project: ProjectJson }>("POST", "/api/projects", {
    name,
    display_name: values["display-name"],
  });
  print(values, res.project, () => `project_id: ${res.project.project_id}`);
}

async function get(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { fail: { type: "boolean", short: "f" } });
  const name = onePositional(positionals, "pounce project get <name | id> [--fail]");
  const res = await new Client(values).find<{ project: ProjectJson }>(
    `/api/projects/${encodeURIComponent(name)}`,
    values.fail,
  );
  if (res) print(values, res.project);
}

async function remove(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  const name = onePositional(positionals, "pounce project delete <name | id>");
  const res = await new Client(values).call<{ deleted: string }>(
    "DELETE",
    `/api/projects/${encodeURIComponent(name)}`,
  );
  print(values, res, () => `project ${name} (${res.deleted}) deleted`);
}
