// `pounce session start|stop|restart|retry|test`.
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename } from "node:path";
import { keyValues, parse } from "../args.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { print } from "../output.ts";
import { watch } from "./session-live.ts";

type SessionJson = { session_id: string; state: string; error: string | null };
const FINAL = ["completed", "error", "stopped"];

function oneRef(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new CliError(usage, EXIT.badRequest);
  return encodeURIComponent(positionals[0]);
}

export async function start(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    project: { type: "string", short: "o" },
    deployment: { type: "string", short: "d" },
    entrypoint: { type: "string", short: "p" },
    input: { type: "string", short: "I", multiple: true },
    durable: { type: "boolean", short: "D" },
    watch: { type: "boolean", short: "w" },
  });
  if (!values.entrypoint) {
    throw new CliError("--entrypoint file.py:function is required", EXIT.badRequest);
  }
  const client = new Client(values);
  const res = await client.call<{ session_id: string }>("POST", "/api/sessions", {
    project: values.project,
    deployment: values.deployment,
    entrypoint: values.entrypoint,
    inputs: keyValues(values.input, "--input"),
    durable: !!values.durable,
  });
  print(values, res, () => `session_id: ${res.session_id}`);
  if (values.watch) await watch([res.session_id, ...(values.json ? ["--json"] : [])]);
}

export async function stop(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    reason: { type: "string", short: "r" },
    force: { type: "boolean", short: "f" },
  });
  const ref = oneRef(
    positionals,
    "usage: pounce session stop <session-id | project> [--reason R] [--force]",
  );
  const res = await new Client(values).call<{ session_id: string }>(
    "POST",
    `/api/sessions/${ref}/stop`,
    {
      reason: values.reason,
      force: !!values.force,
    },
  );
  print(values, res, () => `stopped ${res.session_id}`);
}

export async function restart(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  const ref = oneRef(positionals, "usage: pounce session restart <session-id | project>");
  const res = await new Client(values).call<{ session_id: string }>(
    "POST",
    `/api/sessions/${ref}/restart`,
    {},
  );
  print(values, res, () => `session_id: ${res.session_id}`);
}

// A durable session that failed in an activity runs again from that step (same session).
export async function retry(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  const ref = oneRef(positionals, "usage: pounce session retry <session-id | project>");
  const res = await new Client(values).call<
    { session_id: string; step: number; activity: string }
  >("POST", `/api/sessions/${ref}/retry`, {});
  print(
    values,
    res,
    () => `session ${res.session_id} retried from step ${res.step} (${res.activity})`,
  );
}

async function waitFinal(client: Client, id: string, timeoutMs: number): Promise<SessionJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { session } = await client.get<{ session: SessionJson }>(`/api/sessions/${id}`);
    if (FINAL.includes(session.state)) return session;
    if (Date.now() > deadline) {
      throw new CliError(
        `session ${id} did not end within ${timeoutMs / 1000} s (${session.state})`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function duration(text: string | undefined, fallbackMs: number): number {
  if (!text) return fallbackMs;
  const m = text.match(/^(\d+(?:\.\d+)?)(ms|s|m)?$/);
  if (!m) throw new CliError(`bad duration "${text}" (e.g. 30s, 500ms, 2m)`, EXIT.badRequest);
  const n = Number(m[1]);
  return m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
}

type TestOptions = { project: string; durable: boolean; timeoutMs: number };

// Deploys one case as a project, runs it, and judges what it did.
async function runCase(client: Client, file: string, opts: TestOptions) {
  // Loaded here: the daemon's process bundles the CLI but never runs a case.
  const { judge, readCase } = await import("../session-test.ts");
  let c;
  try {
    c = readCase(readFileSync(file, "utf8"), opts.durable);
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`, EXIT.badRequest);
  }
  const files = Object.fromEntries(
    Object.entries(c.files).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
  );
  // With progress: the first case may build the default environment, minutes of pip.
  await client.callWithProgress("POST", "/api/deploy", {
    manifest: `version: v2\nproject:\n  name: ${opts.project}\n`,
    files,
  }, (line) => console.error(line));
  const { session_id } = await client.call<{ session_id: string }>("POST", "/api/sessions", {
    project: opts.project,
    entrypoint: c.entrypoint,
    durable: opts.durable,
  });
  const session = await waitFinal(client, session_id, opts.timeoutMs);
  const [{ prints }, { records }] = await Promise.all([
    client.get<{ prints: { text: string }[] }>(`/api/sessions/${session_id}/prints`),
    client.get<{ records: { type: string; function?: string }[] }>(
      `/api/sessions/${session_id}/log`,
    ),
  ]);
  const verdict = judge(c, opts.durable, {
    prints: prints.map((p) => p.text),
    state: session.state,
    error: session.error,
    calls: records.filter((r) => r.type === "call_spec").map((r) => String(r.function)),
  });
  return { session_id, ...verdict };
}

// One or more cases, one after another. With several files, each runs as its own project
// named after the file (prefixed with --project, if given).
export async function test(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    project: { type: "string", short: "p" },
    durable: { type: "boolean", short: "D" },
    timeout: { type: "string", short: "t" },
    quiet: { type: "boolean", short: "q" },
  });
  if (!positionals.length) {
    throw new CliError("usage: pounce session test <file.txtar>... [--durable]", EXIT.badRequest);
  }
  const durable = !!values.durable;
  const timeoutMs = duration(values.timeout, 60_000);
  const client = new Client(values);
  const failed: string[] = [];
  for (const file of positionals) {
    // Without --project each case gets a fresh project (so cases never share a store),
    // removed again when the case passes.
    const fresh = values.project === undefined;
    const base = values.project ?? `session_test_${randomBytes(4).toString("hex")}`;
    const project = positionals.length === 1
      ? base
      : `${base}_${basename(file).replace(/\.txtar$/, "").replace(/\W/g, "_")}`;
    // Of several cases, one that cannot run (its deploy refused, its file unreadable) fails
    // alone: the others still run and report.
    const result = await runCase(client, file, { project, durable, timeoutMs }).catch((err) => {
      if (positionals.length === 1 || !(err instanceof CliError)) throw err;
      return { session_id: "-", ok: false, report: [err.message] };
    });
    if (fresh && result.ok) await client.call("DELETE", `/api/projects/${project}`);
    const mode = durable ? "durable" : "non-durable";
    if (values.json) {
      console.log(
        JSON.stringify({
          file,
          session_id: result.session_id,
          ok: result.ok,
          report: result.report,
        }),
      );
    } else if (!result.ok) {
      console.error(`FAIL ${file} (${mode}) ${result.session_id}\n${result.report.join("\n")}`);
    } else if (!values.quiet) console.log(`ok ${file} (${mode}) ${result.session_id}`);
    if (!result.ok) failed.push(file);
  }
  if (failed.length) throw new CliError(`session test failed: ${failed.join(", ")}`);
}
