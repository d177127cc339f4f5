// `pounce deploy`: apply the manifest, upload the project's files, deploy and activate.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { parse } from "../args.ts";
import { Client, CliError } from "../client.ts";
import { print } from "../output.ts";

// Files never uploaded: dotfiles, Python caches, the manifest itself.
function skipped(name: string, manifestName: string): boolean {
  return name.startsWith(".") || name === "__pycache__" || name === manifestName;
}

export function collectFiles(dir: string, manifestName: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      if (skipped(name, current === dir ? manifestName : "")) continue;
      const path = join(current, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) {
        files[relative(dir, path).split("\\").join("/")] = readFileSync(path).toString("base64");
      }
    }
  };
  walk(dir);
  return files;
}

export async function deployCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    manifest: { type: "string", short: "m" },
    dir: { type: "string", short: "d" },
    "project-name": { type: "string", short: "n" },
  });
  const manifestPath = resolve(values.manifest ?? "autokitteh.yaml");
  let manifest: string;
  try {
    manifest = readFileSync(manifestPath, "utf8");
  } catch (err) {
    throw new CliError(`cannot read manifest ${manifestPath}: ${(err as Error).message}`);
  }
  const dir = resolve(values.dir ?? dirname(manifestPath));
  const files = collectFiles(dir, basename(manifestPath));
  const client = new Client(values);
  // Progress (pip building the project's venv) goes to stderr as it comes; the result's
  // lines go to stdout.
  const result = await client.callWithProgress<{ lines: string[] }>(
    "POST",
    "/api/deploy",
    { manifest, files, project_name: values["project-name"] },
    (line) => console.error(line),
  );
  print(values, result, () => result.lines.join("\n"));
}
