// `pounce manifest validate|plan [FILE]`: FILE defaults to ./autokitteh.yaml, "-" is stdin.
import { readFileSync } from "node:fs";
import { parse } from "../args.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { print } from "../output.ts";
import { runSubcommand } from "../subcommands.ts";

export function manifestCommand(argv: string[]): Promise<void> {
  return runSubcommand("manifest", { validate, plan }, argv);
}

function readManifest(positionals: string[]): { path: string; text: string } {
  if (positionals.length > 1) {
    throw new CliError("expected at most one manifest file", EXIT.badRequest);
  }
  const path = positionals[0] ?? "autokitteh.yaml";
  try {
    return { path, text: readFileSync(path === "-" ? 0 : path, "utf8") };
  } catch (err) {
    throw new CliError(`cannot read manifest ${path}: ${(err as Error).message}`, EXIT.badRequest);
  }
}

// Checked here, without the daemon.
async function validate(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  const { path, text } = readManifest(positionals);
  // Loaded here only: the manifest's validation (CEL) is slow to load.
  const { ManifestError, parseManifest } = await import("../../core/projects/manifest.ts");
  try {
    const m = parseManifest(text);
    print(
      values,
      { valid: true, project: m.project.name },
      () => `${path}: valid (project "${m.project.name}")`,
    );
  } catch (err) {
    if (err instanceof ManifestError) {
      throw new CliError(`${path}: ${err.message}`, EXIT.badRequest);
    }
    throw err;
  }
}

// What `pounce deploy` would change, without changing it.
async function plan(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  const { text } = readManifest(positionals);
  const res = await new Client(values).call<{ lines: string[]; actions: string[] }>(
    "POST",
    "/api/manifest/plan",
    { manifest: text },
  );
  print(values, res, () => res.lines.join("\n"));
}
