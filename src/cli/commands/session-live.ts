// `pounce session prints --tail`, `session log --tail` and `session watch`: a session's
// records as they are written, over the WebSocket tail.
import { parse } from "../args.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { formatRecord, paintState, style, type TailRecord } from "../records.ts";
import { followSession, liveTarget, parseDuration, withTimeout } from "../tail.ts";

type Out = { json?: boolean };

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
    onRecord: (r) => console.log(out.json ? JSON.stringify(r) : formatRecord(r, s)),
  });
}

// Follows a session until it reaches `--end-state` (default: any final state). Exits 1 when
// it ends in another state or `--timeout` passes first.
export async function watch(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    "end-state": { type: "string", short: "e" },
    timeout: { type: "string", short: "t" },
    quiet: { type: "boolean", short: "q" },
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
  const reached = (r: TailRecord) => r.type === "state" && r.data.state === endState;
  const work = async () => {
    const sessionId = await liveTarget(client, positionals[0], waitingNote);
    return await followSession(client, sessionId, {
      onRecord: (r) => {
        if (!values.quiet) console.log(values.json ? JSON.stringify(r) : formatRecord(r, s));
        return reached(r);
      },
    });
  };
  const done = await withTimeout(work(), timeout, `after ${values.timeout}`);
  if (endState && !done.stoppedEarly && done.state !== endState) {
    throw new CliError(`session ${done.sessionId} ended ${done.state}, not ${endState}`);
  }
}
