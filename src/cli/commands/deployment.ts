// `pounce deployment list|get|activate|deactivate|delete`.
import { parse } from "../args.ts";
import { Client } from "../client.ts";
import { print, table } from "../output.ts";
import { onePositional, runSubcommand } from "../subcommands.ts";

type DeploymentJson = Record<string, unknown> & { deployment_id: string; state: string };

export function deploymentCommand(argv: string[]): Promise<void> {
  return runSubcommand("deployment", {
    list,
    get,
    activate: change("activate"),
    deactivate: change("deactivate"),
    delete: remove,
  }, argv);
}

async function list(argv: string[]): Promise<void> {
  const { values } = parse(argv, { project: { type: "string", short: "p" } });
  const q = values.project ? `?${new URLSearchParams({ project: values.project })}` : "";
  const res = await new Client(values).get<{ deployments: DeploymentJson[] }>(
    `/api/deployments${q}`,
  );
  print(
    values,
    res,
    () => table(res.deployments, ["deployment_id", "state", "build_id", "created_at"]),
  );
}

async function get(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { fail: { type: "boolean", short: "f" } });
  const id = onePositional(positionals, "pounce deployment get <deployment id> [--fail]");
  const res = await new Client(values).find<{ deployment: DeploymentJson }>(
    `/api/deployments/${encodeURIComponent(id)}`,
    values.fail,
  );
  if (res) print(values, res.deployment);
}

function change(action: "activate" | "deactivate") {
  return async (argv: string[]): Promise<void> => {
    const { values, positionals } = parse(argv, {});
    const id = onePositional(positionals, `pounce deployment ${action} <deployment id>`);
    const res = await new Client(values).call<{ deployment: DeploymentJson }>(
      "POST",
      `/api/deployments/${encodeURIComponent(id)}/${action}`,
    );
    print(values, res.deployment, () => `deployment ${id}: ${res.deployment.state}`);
  };
}

async function remove(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  const id = onePositional(positionals, "pounce deployment delete <deployment id>");
  const res = await new Client(values).call<{ deleted: string }>(
    "DELETE",
    `/api/deployments/${encodeURIComponent(id)}`,
  );
  print(values, res, () => `deployment ${id} deleted`);
}
