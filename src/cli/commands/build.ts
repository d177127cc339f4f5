// `pounce build list|get|download`.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import type { BuildFiles } from "../../core/projects/builds.ts";
import { parse } from "../args.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { print, table } from "../output.ts";
import { onePositional, runSubcommand } from "../subcommands.ts";

type BuildJson = Record<string, unknown> & { build_id: string };

export function buildCommand(argv: string[]): Promise<void> {
  return runSubcommand("build", { list, get, download }, argv);
}

async function list(argv: string[]): Promise<void> {
  const { values } = parse(argv, { project: { type: "string", short: "p" } });
  const q = values.project ? `?${new URLSearchParams({ project: values.project })}` : "";
  const res = await new Client(values).get<{ builds: BuildJson[] }>(`/api/builds${q}`);
  print(values, res, () => table(res.builds, ["build_id", "project_id", "created_at"]));
}

async function get(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { fail: { type: "boolean", short: "f" } });
  const id = onePositional(positionals, "pounce build get <build id> [--fail]");
  const res = await new Client(values).find<{ build: BuildJson }>(
    `/api/builds/${encodeURIComponent(id)}`,
    values.fail,
  );
  if (res) print(values, res.build);
}

// Writes the build's files into a new (or empty) directory, default ./<build id>.
async function download(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { output: { type: "string", short: "o" } });
  const id = onePositional(positionals, "pounce build download <build id> [-o DIR]");
  const res = await new Client(values).get<{ files: Record<string, string> }>(
    `/api/builds/${encodeURIComponent(id)}/files`,
  );
  const dir = resolve(values.output ?? id);
  if (existsSync(dir) && readdirSync(dir).length) {
    throw new CliError(`${dir} exists and is not empty`, EXIT.precondition);
  }
  const { BuildError, writeFiles } = await import("../../core/projects/builds.ts");
  const files: BuildFiles = {};
  for (const [name, b64] of Object.entries(res.files)) files[name] = Buffer.from(b64, "base64");
  try {
    mkdirSync(dir, { recursive: true });
    writeFiles(dir, files);
  } catch (err) {
    if (err instanceof BuildError) throw new CliError(err.message, EXIT.badRequest);
    throw new CliError(`cannot write ${dir}: ${(err as Error).message}`);
  }
  const names = Object.keys(files).sort();
  print(values, { dir, files: names }, () => `wrote ${names.length} files to ${dir}`);
}
