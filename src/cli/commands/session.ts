// `pounce session ...`
import { parse } from "../args.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { print, table } from "../output.ts";

type SessionJson = Record<string, unknown> & { session_id: string; state: string };

const usage = "usage: pounce session list|get|prints|log ...";

export async function sessionCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "list": {
      const { values } = parse(rest, {
        project: { type: "string", short: "p" },
        state: { type: "string", short: "s" },
        limit: { type: "string" },
      });
      const q = new URLSearchParams();
      if (values.project) q.set("project", values.project);
      if (values.state) q.set("state", values.state);
      if (values.limit) q.set("limit", values.limit);
      const res = await new Client(values).get<{ sessions: SessionJson[] }>(`/api/sessions?${q}`);
      return print(
        values,
        res,
        () => table(res.sessions, ["session_id", "state", "entrypoint", "created_at"]),
      );
    }
    case "get": {
      const { values, positionals } = parse(rest, {});
      const res = await new Client(values).get<{ session: SessionJson }>(
        `/api/sessions/${ref(positionals)}`,
      );
      return print(values, res.session);
    }
    case "prints": {
      const { values, positionals } = parse(rest, {});
      const res = await new Client(values).get<{ prints: { text: string }[] }>(
        `/api/sessions/${ref(positionals)}/prints`,
      );
      return print(values, res, () => res.prints.map((p) => p.text).join("\n"));
    }
    case "log": {
      const { values, positionals } = parse(rest, {});
      const res = await new Client(values).get<{ records: Record<string, unknown>[] }>(
        `/api/sessions/${ref(positionals)}/log`,
      );
      if (values.json) {
        for (const r of res.records) console.log(JSON.stringify(r));
        return;
      }
      for (const r of res.records) {
        const { seq: _seq, type, t, ...rest } = r;
        console.log(`[${t}] ${type}: ${JSON.stringify(rest)}`);
      }
      return;
    }
    default:
      throw new CliError(usage, EXIT.badRequest);
  }
}

function ref(positionals: string[]): string {
  if (positionals.length !== 1) {
    throw new CliError("expected one session id or project name", EXIT.badRequest);
  }
  return encodeURIComponent(positionals[0]);
}
