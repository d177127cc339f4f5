// `pounce session ...`: one function per subcommand, registered in `subcommands`.
import { parse } from "../args.ts";
import { Client } from "../client.ts";
import { keyValues, print, table } from "../output.ts";
import { formatRecord, fromLogJson, type LogRecordJson, style } from "../records.ts";
import { oneRef, ref } from "../refs.ts";
import { runSubcommand, type Subcommand } from "../subcommands.ts";
import { downloadLogs, type PrintJson } from "./session-download.ts";
import { followPrints, followRecords, watch } from "./session-live.ts";
import { restart, retry, start, stop, test } from "./session-control.ts";

type SessionJson = Record<string, unknown> & { session_id: string; state: string };

export const subcommands: Record<string, Subcommand> = {
  list,
  get,
  prints,
  log,
  watch,
  delete: remove,
  "download-logs": downloadLogs,
  start,
  stop,
  restart,
  retry,
  test,
};

export function sessionCommand(argv: string[]): Promise<void> {
  return runSubcommand("session", subcommands, argv);
}

async function list(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    project: { type: "string", short: "p" },
    state: { type: "string", short: "s" },
    limit: { type: "string" },
  });
  const q = new URLSearchParams();
  if (values.project) q.set("project", values.project);
  if (values.state) q.set("state", values.state);
  if (values.limit) q.set("limit", values.limit);
  const res = await new Client(values).get<{ sessions: SessionJson[] }>(`/api/sessions?${q}`);
  print(
    values,
    res,
    () => table(res.sessions.map(withWait), ["session_id", "state", "entrypoint", "created_at"]),
  );
}

// `running (waiting: sleeping until …)`: a wait is part of the state people read.
function withWait(s: SessionJson): SessionJson {
  return s.waiting ? { ...s, state: `${s.state} (waiting: ${s.waiting})` } : s;
}

async function get(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { fail: { type: "boolean", short: "f" } });
  const res = await new Client(values).find<{ session: SessionJson }>(
    `/api/sessions/${ref(positionals)}`,
    values.fail,
  );
  if (res) print(values, res.session, () => keyValues(withWait(res.session)));
}

async function prints(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    tail: { type: "boolean", short: "t" },
    // AutoKitteh's flag: Pounce's prints have no timestamps (`session log` has them).
    "no-timestamps": { type: "boolean", short: "n" },
  });
  const client = new Client(values);
  if (values.tail) return await followPrints(client, oneRef(positionals), values);
  const res = await client.get<{ prints: PrintJson[] }>(`/api/sessions/${ref(positionals)}/prints`);
  print(values, res, () => res.prints.map((p) => p.text).join("\n"));
}

async function log(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    tail: { type: "boolean", short: "t" },
    "no-timestamps": { type: "boolean", short: "n" },
  });
  const client = new Client(values);
  if (values.tail) return await followRecords(client, oneRef(positionals), values);
  const res = await client.get<{ session_id: string; records: LogRecordJson[] }>(
    `/api/sessions/${ref(positionals)}/log`,
  );
  const s = style(process.stdout);
  for (const r of res.records.map((r) => fromLogJson(res.session_id, r))) {
    console.log(values.json ? JSON.stringify(r) : formatRecord(r, s, !values["no-timestamps"]));
  }
}

async function remove(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  const res = await new Client(values).call<{ deleted: string }>(
    "DELETE",
    `/api/sessions/${ref(positionals)}`,
  );
  print(values, res, () => `session ${res.deleted} deleted`);
}
