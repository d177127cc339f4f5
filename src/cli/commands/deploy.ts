// `pounce deploy`: apply the manifest, upload the project's files, deploy and activate.
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { parse } from "../args.ts";
import { Client, CliError } from "../client.ts";
import { print } from "../output.ts";

// Files never uploaded: dotfiles, Python caches, the manifest itself.
function skipped(name: string, manifestName: string): boolean {
  return name.startsWith(".") || name === "__pycache__" || name === manifestName;
}

// The project's files as {path: base64}. Links are followed only within the project dir
// (`realpath` inside it): one that leads out of it (to a data dir's token, a home
// directory) is skipped with a warning naming it, as are dangling links and links back to
// a directory being walked.
export function collectFiles(
  dir: string,
  manifestName: string,
  warn: (line: string) => void = (line) => console.error(line),
): Record<string, string> {
  const files: Record<string, string> = {};
  const root = realpathSync(dir);
  const inside = (real: string) => real === root || real.startsWith(root + sep);
  const walk = (current: string, ancestors: Set<string>) => {
    for (const name of readdirSync(current).sort()) {
      if (skipped(name, current === dir ? manifestName : "")) continue;
      const path = join(current, name);
      const rel = relative(dir, path).split("\\").join("/");
      let real = path;
      if (lstatSync(path).isSymbolicLink()) {
        try {
          real = realpathSync(path);
        } catch {
          warn(`[warn] skipped "${rel}": a link to nothing`);
          continue;
        }
        if (!inside(real)) {
          warn(`[warn] skipped "${rel}": a link out of the project directory`);
          continue;
        }
      }
      const st = statSync(real);
      if (st.isDirectory()) {
        const realDir = realpathSync(real);
        if (ancestors.has(realDir)) {
          warn(`[warn] skipped "${rel}": a link to a directory that contains it`);
          continue;
        }
        walk(path, new Set([...ancestors, realDir]));
      } else if (st.isFile()) {
        files[rel] = readFileSync(real).toString("base64");
      }
    }
  };
  walk(dir, new Set([root]));
  return files;
}

export async function deployCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    manifest: { type: "string", short: "m" },
    dir: { type: "string", short: "d" },
    "project-name": { type: "string", short: "n" },
    yes: { type: "boolean", short: "y" },
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
  // Plan lines shown as progress (before a venv build) are not printed twice.
  const shown = new Set<string>();
  const send = (deleteVarsSetByHand: boolean) =>
    client.callWithProgress<{ lines: string[] }>(
      "POST",
      "/api/deploy",
      {
        manifest,
        files,
        project_name: values["project-name"],
        delete_vars_set_by_hand: deleteVarsSetByHand,
      },
      (line) => {
        shown.add(line);
        console.error(line);
      },
    );
  const result = await send(!!values.yes).catch(async (err) => {
    // Vars set by hand would go: asked on a terminal, refused elsewhere (--yes deletes).
    if (!(err instanceof CliError) || !/vars set by hand/.test(err.message)) throw err;
    if (values.json || !process.stdin.isTTY || !process.stderr.isTTY) throw err;
    if (!await confirm(`${err.message.replace(/ Add them.*$/, "")}.\nDelete them? [y/N] `)) {
      throw err;
    }
    return await send(true);
  });
  print(values, result, () => result.lines.filter((l) => !shown.has(l)).join("\n"));
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
