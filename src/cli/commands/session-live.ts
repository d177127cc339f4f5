// `pounce session prints --tail`, `session log --tail` and `session watch`: a session's
// records as they are written, over the WebSocket tail.
import { parse } from "../args.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { formatRecord, paintState, style, type TailRecord } from "../records.ts";
import { followSession, liveTarget, parseDuration, withTimeout } from "../tail.ts";

type Out = { json?: boolean; "no-timestamps"?: boolean };

const STATES = ["created", "running", "completed", "error", "stopped"];

function waitingNote(project: string): void {
  console.error(`waiting for the next session of project "${project}"...`);
}

function endNote(sessionId: string, state: string | undefined): void {
  if (!state) return;
  const s = style(process.stderr);
  console.error(s.dim(`session ${sessionId} `) + paintState(s, state));
}

export async function followPrints(client: Client, ref: string, out: Out): Promise<void> {
  const sessionId = await liveTarget(client, ref, waitingNote);
  const done = await followSession(client, sessionId, {
    types: ["print"],
    onRecord: (r) => console.log(out.json ? JSON.stringify(r) : String(r.data.text ?? "")),
  });
  if (!out.json) endNote(done.sessionId, done.state);
}

export async function followRecords(client: Client, ref: string, out: Out): Promise<void> {
  const sessionId = await liveTarget(client, ref, waitingNote);
  const s = style(process.stdout);
  await followSession(client, sessionId, {
    onRecord: (r) =>
      console.log(out.json ? JSON.stringify(r) : formatRecord(r, s, !out["no-timestamps"])),
  });
}

// Follows a session until it reaches `--end-state` (default: any final state). Exits 1 when
// it ends in another state (without --end-state: in error) or `--timeout` passes first.
export async function watch(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    "end-state": { type: "string", short: "e" },
    "end-print-re": { type: "string", short: "r" },
    timeout: { type: "string", short: "t" },
    quiet: { type: "boolean", short: "q" },
    "no-timestamps": { type: "boolean", short: "n" },
    "wait-created": { type: "boolean" },
  });
  if (positionals.length !== 1) {
    throw new CliError(
      "usage: pounce session watch <session id | project> [--end-state S] [--timeout D]",
      EXIT.badRequest,
    );
  }
  const endState = values["end-state"];
  if (endState !== undefined && !STATES.includes(endState)) {
    throw new CliError(`--end-state must be one of ${STATES.join(", ")}`, EXIT.badRequest);
  }
  const timeout = values.timeout === undefined ? undefined : parseDuration(values.timeout);
  const client = new Client(values);
  const s = style(process.stdout);
  const endPrint = regexp(values["end-print-re"]);
  const reached = (r: TailRecord) =>
    (r.type === "state" && r.data.state === endState) ||
    (!!endPrint && r.type === "print" && endPrint.test(String(r.data.text ?? "")));
  const work = async () => {
    const sessionId = await liveTarget(client, positionals[0], waitingNote);
    if (values["wait-created"]) await untilCreated(client, sessionId);
    return await followSession(client, sessionId, {
      onRecord: (r) => {
        if (!values.quiet) {
          console.log(
            values.json ? JSON.stringify(r) : formatRecord(r, s, !values["no-timestamps"]),
          );
        }
        return reached(r);
      },
    });
  };
  const done = await withTimeout(work(), timeout, `after ${values.timeout}`);
  if (endPrint && done.stoppedEarly) return;
  if (endState && !done.stoppedEarly && done.state !== endState) {
    throw new CliError(`session ${done.sessionId} ended ${done.state}, not ${endState}`);
  }
  if (!endState && done.state === "error") {
    throw new CliError(`session ${done.sessionId} ended in error`);
  }
}

function regexp(source: string | undefined): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    return new RegExp(source);
  } catch (err) {
    throw new CliError(`--end-print-re: ${(err as Error).message}`, EXIT.badRequest);
  }
}

// `--wait-created`: a session id given before its session exists (as `ak session test`
// knows ids in advance) is waited for.
async function untilCreated(client: Client, sessionId: string): Promise<void> {
  for (;;) {
    try {
      return void await client.get(`/api/sessions/${sessionId}`);
    } catch (err) {
      if (!(err instanceof CliError) || err.code !== EXIT.notFound) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
