// `pounce event dispatch|redispatch|verify-filter`.
import { keyValues, parse } from "../args.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { print } from "../output.ts";

type Dispatched = { event_id: string; session_ids: string[] };

function dataFrom(pairs: string[] | undefined, json?: string): Record<string, unknown> {
  let data: Record<string, unknown> = {};
  if (json) {
    try {
      data = JSON.parse(json);
    } catch (err) {
      throw new CliError(`--json-data: ${(err as Error).message}`, EXIT.badRequest);
    }
  }
  return keyValues(pairs, "--data", data);
}

const said = (res: Dispatched) =>
  [`event_id: ${res.event_id}`, ...res.session_ids.map((id) => `session_id: ${id}`)].join("\n");

export async function dispatch(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    project: { type: "string", short: "p" },
    trigger: { type: "string" },
    connection: { type: "string", short: "c" },
    "event-type": { type: "string", short: "e" },
    data: { type: "string", short: "d", multiple: true },
    "json-data": { type: "string" },
    memo: { type: "string", short: "m", multiple: true },
  });
  const memo = keyValues(values.memo, "--memo");
  const res = await new Client(values).call<Dispatched>("POST", "/api/events", {
    project: values.project,
    trigger: values.trigger,
    connection: values.connection,
    event_type: values["event-type"],
    data: dataFrom(values.data, values["json-data"]),
    memo: Object.fromEntries(Object.entries(memo).map(([k, v]) => [k, String(v)])),
  });
  print(values, res, () => said(res));
}

export async function redispatch(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  if (positionals.length !== 1) {
    throw new CliError("usage: pounce event redispatch <event-id>", EXIT.badRequest);
  }
  const res = await new Client(values).call<Dispatched>(
    "POST",
    `/api/events/${encodeURIComponent(positionals[0])}/redispatch`,
    {},
  );
  print(values, res, () => said(res));
}

export async function verifyFilter(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  if (positionals.length !== 1) {
    throw new CliError("usage: pounce event verify-filter <expression>", EXIT.badRequest);
  }
  const res = await new Client(values).call("POST", "/api/filters/verify", {
    filter: positionals[0],
  });
  print(values, res, () => "ok");
}
