// `pounce connection list|get|set|init|test`. A connection is named by its id,
// "<project>/<name>", or its name with --project.
import { readFileSync } from "node:fs";
import { parse } from "../args.ts";
import { openBrowser } from "../browser.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { keyValues, print, table } from "../output.ts";
import { onePositional, runSubcommand } from "../subcommands.ts";

type ConnectionJson = Record<string, unknown> & {
  connection_id: string;
  name: string;
  vars?: { name: string; value: string; secret: boolean }[];
  env?: string[];
  info?: Record<string, string>;
  known_vars?: { name: string; secret: boolean; description: string }[];
  oauth?: Record<string, unknown> | null;
};

export function connectionCommand(argv: string[]): Promise<void> {
  return runSubcommand("connection", { list, get, set, init, test }, argv);
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
  const { vars, env, info, known_vars, oauth, ...rest } = res.connection;
  const missing = (known_vars ?? []).filter((k) => !vars?.some((v) => v.name === k.name));
  print(values, res.connection, () =>
    [
      keyValues(rest),
      keyValues({ ...info }),
      `vars:${(vars ?? []).map((v) => `\n  ${v.name}=${v.value}`).join("")}`,
      missing.length
        ? `not set:${missing.map((k) => `\n  ${k.name}  (${k.description})`).join("")}`
        : "",
      oauth ? keyValues({ oauth }) : "",
      `env:${(env ?? []).map((e) => `\n  ${e}`).join("")}`,
    ].filter(Boolean).join("\n"));
}

// `KEY=VALUE` pairs; `--file KEY=PATH` reads a value from a file (a service-account key).
function pairs(args: string[], files: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const split = (arg: string, what: string) => {
    const eq = arg.indexOf("=");
    if (eq <= 0) throw new CliError(`"${arg}": expected ${what}`, EXIT.badRequest);
    return [arg.slice(0, eq), arg.slice(eq + 1)] as const;
  };
  for (const arg of args) {
    const [k, v] = split(arg, "KEY=VALUE");
    out[k] = v;
  }
  for (const arg of files) {
    const [k, path] = split(arg, "KEY=PATH");
    try {
      out[k] = readFileSync(path, "utf8");
    } catch (err) {
      throw new CliError(`--file ${k}: ${(err as Error).message}`, EXIT.badRequest);
    }
  }
  return out;
}

async function set(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    project: { type: "string", short: "p" },
    file: { type: "string", multiple: true },
  });
  const [ref, ...rest] = positionals;
  const vars = pairs(rest, values.file ?? []);
  if (!ref || !Object.keys(vars).length) {
    throw new CliError(
      "usage: pounce connection set <id | project/name> KEY=VALUE... [--file KEY=PATH]",
      EXIT.badRequest,
    );
  }
  const res = await new Client(values).call<{
    set: { name: string; secret: boolean }[];
    warnings: string[];
  }>("PUT", path(ref, values.project, "/vars"), { vars });
  for (const w of res.warnings) console.error(`[warn] ${w}`);
  print(
    values,
    res,
    () => res.set.map((v) => `var "${v.name}" set${v.secret ? " (secret)" : ""}`).join("\n"),
  );
}

async function init(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    project: { type: "string", short: "p" },
    "no-browser": { type: "boolean" },
  });
  const ref = onePositional(
    positionals,
    "pounce connection init <id | project/name> [--no-browser]",
  );
  const res = await new Client(values).call<
    { url: string; redirect_url: string; expires_at: string }
  >("POST", path(ref, values.project, "/oauth/init"));
  print(values, res, () =>
    [
      `Open this URL to authorize the connection (valid until ${res.expires_at}):`,
      res.url,
      `The provider redirects to ${res.redirect_url}; register it with the OAuth app.`,
    ].join("\n"));
  if (!values["no-browser"] && !values.json) openBrowser(res.url);
}

async function test(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { project: { type: "string", short: "p" } });
  const ref = onePositional(positionals, "pounce connection test <id | project/name>");
  const res = await new Client(values).call<
    { status: string; message: string; set?: { name: string; secret: boolean }[] }
  >("POST", path(ref, values.project, "/test"));
  const set = (res.set ?? []).map((v) => `${v.name}${v.secret ? " (secret)" : ""}`).join(", ");
  print(values, res, () => `status: ${res.status}\nmessage: ${res.message}\nset: ${set}`);
  if (res.status === "error") throw new CliError(`connection test failed`, EXIT.generic);
}
