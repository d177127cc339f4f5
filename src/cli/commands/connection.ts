// `pounce connection list|get|test`. A connection is named by its id, "<project>/<name>",
// or its name with --project.
import { parse } from "../args.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { keyValues, print, table } from "../output.ts";
import { onePositional, runSubcommand } from "../subcommands.ts";

type ConnectionJson = Record<string, unknown> & {
  connection_id: string;
  name: string;
  vars?: { name: string; value: string; secret: boolean }[];
  env?: string[];
  info?: Record<string, string>;
};

export function connectionCommand(argv: string[]): Promise<void> {
  return runSubcommand("connection", { list, get, test }, argv);
}

function path(
  ref: string,
  project: string | undefined,
  suffix = "",
  query = new URLSearchParams(),
) {
  if (project) query.set("project", project);
  return `/api/connections/${encodeURIComponent(ref)}${suffix}${query.size ? `?${query}` : ""}`;
}

async function list(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    project: { type: "string", short: "p" },
    integration: { type: "string", short: "i" },
  });
  const q = new URLSearchParams();
  if (values.project) q.set("project", values.project);
  if (values.integration) q.set("integration", values.integration);
  const res = await new Client(values).get<{ connections: ConnectionJson[] }>(
    `/api/connections${q.size ? `?${q}` : ""}`,
  );
  print(
    values,
    res,
    () => table(res.connections, ["connection_id", "project", "name", "integration", "status"]),
  );
}

async function get(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    project: { type: "string", short: "p" },
    reveal: { type: "boolean" },
    fail: { type: "boolean", short: "f" },
  });
  const ref = onePositional(
    positionals,
    "pounce connection get <id | project/name | name --project P> [--reveal]",
  );
  const q = new URLSearchParams();
  if (values.reveal) q.set("reveal", "true");
  const res = await new Client(values).find<{ connection: ConnectionJson }>(
    path(ref, values.project, "", q),
    values.fail,
  );
  if (!res) return;
  const { vars, env, info, ...rest } = res.connection;
  print(values, res.connection, () =>
    [
      keyValues(rest),
      keyValues({ ...info }),
      `vars:${(vars ?? []).map((v) => `\n  ${v.name}=${v.value}`).join("")}`,
      `env:${(env ?? []).map((e) => `\n  ${e}`).join("")}`,
    ].filter(Boolean).join("\n"));
}

async function test(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { project: { type: "string", short: "p" } });
  const ref = onePositional(positionals, "pounce connection test <id | project/name>");
  const res = await new Client(values).call<{ status: string; message: string }>(
    "POST",
    path(ref, values.project, "/test"),
  );
  print(values, res, () => `status: ${res.status}\nmessage: ${res.message}`);
  if (res.status === "error") throw new CliError(`connection test failed`, EXIT.generic);
}
