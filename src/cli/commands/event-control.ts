// `pounce event dispatch|redispatch|verify-filter`.
import { readFileSync } from "node:fs";
import { keyValues, parse } from "../args.ts";
import { Client, type ClientOptions, CliError, EXIT } from "../client.ts";
import { type Out, print } from "../output.ts";

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
    integration: { type: "string" },
    file: { type: "string", short: "f" },
  });
  if (values.integration || values.file) return await dispatchRecorded(values);
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

// `--integration <name> --file payload.json [--connection <project>/<conn>]`: a recorded
// provider payload run through the integration's toEvents, skipping verification.
async function dispatchRecorded(
  values:
    & {
      integration?: string;
      file?: string;
      connection?: string;
      project?: string;
    }
    & ClientOptions
    & Out,
): Promise<void> {
  if (!values.integration || !values.file) {
    throw new CliError(
      "usage: pounce event dispatch --integration <name> --file <payload.json|form> " +
        "[--connection <project>/<conn>]",
      EXIT.badRequest,
    );
  }
  let payload: Record<string, unknown>;
  try {
    payload = payloadOf(readFileSync(values.file, "utf8"));
  } catch (err) {
    throw new CliError(`--file ${values.file}: ${(err as Error).message}`, EXIT.badRequest);
  }
  let project = values.project;
  let connection = values.connection;
  if (connection?.includes("/")) [project, connection] = connection.split("/", 2);
  const res = await new Client(values).call<{ events: Dispatched[] }>(
    "POST",
    `/api/integrations/${encodeURIComponent(values.integration)}/events`,
    { project, connection, payload },
  );
  print(values, res, () => res.events.map(said).join("\n"));
}

// A JSON object, or a form body (Twilio's) as its fields.
function payloadOf(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return JSON.parse(trimmed);
  if (!trimmed.includes("=")) throw new Error("neither a JSON object nor a form body");
  const fields: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(trimmed)) if (!(k in fields)) fields[k] = v;
  return fields;
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
