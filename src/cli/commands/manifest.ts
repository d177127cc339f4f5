// `pounce manifest validate|plan [FILE]`: FILE defaults to ./autokitteh.yaml, "-" is stdin.
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Manifest } from "../../core/projects/manifest.ts";
import { parse } from "../args.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { print } from "../output.ts";
import { runSubcommand } from "../subcommands.ts";
import { collectFiles } from "./deploy.ts";

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

// Checked here, without the daemon. With the project's code beside the manifest (a .py
// file in its directory), the code is checked as deploy checks it, with Python run here:
// each trigger's file and function, and every file's syntax.
async function validate(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  const { path, text } = readManifest(positionals);
  // Loaded here only: the manifest's validation (CEL) is slow to load.
  const [{ parseManifest }, { ManifestError }] = await Promise.all([
    import("../../core/projects/manifest.ts"),
    import("../../core/projects/manifest-error.ts"),
  ]);
  let m;
  try {
    m = parseManifest(text);
  } catch (err) {
    if (err instanceof ManifestError) {
      const lines = err.message.split("\n").map((line) => `${path}: ${line}`);
      throw new CliError(lines.join("\n"), EXIT.badRequest);
    }
    throw err;
  }
  const { eventlessTriggers } = await import("../../integrations/registry.ts");
  const warnings = [
    ...(path === "-" ? [] : await checkCodeBeside(path, m)),
    ...eventlessTriggers(m),
    ...(m.ignored ?? []),
  ];
  for (const line of warnings) console.error(line);
  print(
    values,
    { valid: true, project: m.project.name, warnings },
    () => `${path}: valid (project "${m.project.name}")`,
  );
}

async function checkCodeBeside(path: string, m: Manifest): Promise<string[]> {
  const dir = dirname(resolve(path));
  const skippedLinks: string[] = [];
  const encoded = collectFiles(dir, basename(path), (line) => skippedLinks.push(line));
  if (!Object.keys(encoded).some((name) => name.endsWith(".py"))) return [];
  const [{ checkCode, DeployRefused }, { findPython, PythonError }] = await Promise.all([
    import("../../core/projects/deploy-service.ts"),
    import("../../pythonrt/python.ts"),
  ]);
  const files = Object.fromEntries(
    Object.entries(encoded).map(([name, b64]) => [name, Buffer.from(b64, "base64")]),
  );
  try {
    const { warnings } = await checkCode(findPython(), m, files);
    return [...skippedLinks, ...warnings];
  } catch (err) {
    if (err instanceof DeployRefused) {
      throw new CliError(`${path}: ${err.message}`, EXIT.badRequest);
    }
    if (err instanceof PythonError) {
      return [`[warn] the code was not checked: ${err.message}`];
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
