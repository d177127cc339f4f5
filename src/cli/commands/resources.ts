// `pounce trigger|var|event ...`
import { parse } from "../args.ts";
import { dispatch, redispatch, verifyFilter } from "./event-control.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { print, table } from "../output.ts";

type Rows<K extends string> = Record<K, Record<string, unknown>[]>;

function query(values: Record<string, unknown>, keys: string[]): string {
  const q = new URLSearchParams();
  for (const k of keys) if (typeof values[k] === "string") q.set(k, values[k] as string);
  return q.size ? `?${q}` : "";
}

export async function triggerCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== "list") {
    throw new CliError("usage: pounce trigger list [--project P]", EXIT.badRequest);
  }
  const { values } = parse(rest, { project: { type: "string", short: "p" } });
  const res = await new Client(values).get<Rows<"triggers">>(
    `/api/triggers${query(values, ["project"])}`,
  );
  print(
    values,
    res,
    () =>
      table(res.triggers, [
        "trigger_id",
        "name",
        "source_type",
        "event_type",
        "call",
        "webhook_url",
      ]),
  );
}

export async function eventCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === "list") {
    const { values } = parse(rest, {
      project: { type: "string", short: "p" },
      type: { type: "string", short: "t" },
    });
    const res = await new Client(values).get<Rows<"events">>(
      `/api/events${query(values, ["project", "type"])}`,
    );
    return print(values, res, () => table(res.events, ["event_id", "event_type", "created_at"]));
  }
  if (sub === "get") {
    const { values, positionals } = parse(rest, { fail: { type: "boolean", short: "f" } });
    if (positionals.length !== 1) {
      throw new CliError("usage: pounce event get <event-id> [--fail]", EXIT.badRequest);
    }
    const res = await new Client(values).find<{ event: unknown }>(
      `/api/events/${encodeURIComponent(positionals[0])}`,
      values.fail,
    );
    if (res) print(values, res.event, () => JSON.stringify(res.event, null, 2));
    return;
  }
  const control: Record<string, (argv: string[]) => Promise<void>> = {
    dispatch,
    redispatch,
    "verify-filter": verifyFilter,
  };
  if (sub && control[sub]) return control[sub](rest);
  throw new CliError(
    "usage: pounce event list|get|dispatch|redispatch|verify-filter",
    EXIT.badRequest,
  );
}

export async function varCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    project: { type: "string", short: "p" },
    connection: { type: "string", short: "c" },
    secret: { type: "boolean", short: "s" },
    reveal: { type: "boolean" },
    description: { type: "string" },
  });
  // A connection given as its id or "<project>/<name>" needs no --project.
  if (!values.project && !values.connection) {
    throw new CliError("--project (or --connection) is required", EXIT.badRequest);
  }
  const client = new Client(values);
  const scope = query(values, ["project", "connection"]);
  switch (sub) {
    case "set": {
      if (positionals.length !== 2) {
        throw new CliError(
          "usage: pounce var set NAME VALUE (--project P | --connection C) [--secret]",
          EXIT.badRequest,
        );
      }
      const [name, value] = positionals;
      const res = await client.call<{ secret: boolean }>("PUT", `/api/vars${scope}`, {
        name,
        value,
        secret: values.secret,
        description: values.description,
      });
      return print(values, res, () => `var "${name}" set${res.secret ? " (secret)" : ""}`);
    }
    case "get": {
      const q = new URLSearchParams(scope.slice(1));
      for (const n of positionals) q.append("name", n);
      if (values.reveal) q.set("reveal", "true");
      const res = await client.get<Rows<"vars">>(`/api/vars?${q}`);
      return print(values, res, () => res.vars.map((v) => `${v.name}=${v.value}`).join("\n"));
    }
    case "delete": {
      if (positionals.length !== 1) {
        throw new CliError("usage: pounce var delete NAME --project P", EXIT.badRequest);
      }
      const q = new URLSearchParams(scope.slice(1));
      q.set("name", positionals[0]);
      const res = await client.call("DELETE", `/api/vars?${q}`);
      return print(values, res, () => `var "${positionals[0]}" deleted`);
    }
    default:
      throw new CliError("usage: pounce var set|get|delete ...", EXIT.badRequest);
  }
}
