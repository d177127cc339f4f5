// The deploy use case (`pounce deploy`): check the uploaded files against the manifest,
// scan them with Python, build the venv, then apply the manifest, build, deploy and
// activate (deploy.ts), and let integrations follow. Reading the request and answering it
// (status codes, progress streaming) is the caller's.
import { type Scan, scanCode, SyntaxCheckError } from "../../pythonrt/exports.ts";
import type { Python } from "../../pythonrt/python.ts";
import { type Ensured, type Plan, VenvError, type Venvs } from "../../pythonrt/venvs.ts";
import { BuildError, type BuildFiles, checkBuildFiles, encodeFiles } from "./builds.ts";
import type { Db } from "../db/client.ts";
import { deploy, type DeployResult, handSetVarsDeleted, planManifest } from "./deploy.ts";
import { log } from "../util/log.ts";
import { suggestion } from "../util/did-you-mean.ts";
import type { Manifest } from "./manifest.ts";
import type { SecretBox } from "./secrets.ts";
import { entrypointFile } from "./entrypoint.ts";

// The upload cannot be deployed (bad files, a syntax error, pip failed): nothing changed.
export class DeployRefused extends Error {}

export type DeployDeps = {
  db: Db;
  box: SecretBox;
  python: Python;
  venvs: Venvs;
  // Schedules and Socket Mode links follow the new triggers and connections; hints are
  // deploy output lines (what to configure in each service).
  integrations: { reload(): Promise<void>; hints(projectId: string): Promise<string[]> };
};

export type PreparedDeploy = {
  // The deploy builds a venv first: pip's progress is worth showing.
  buildsVenv: boolean;
  run(progress: (line: string) => void): Promise<DeployResult>;
};

// Checks what can be checked before anything is built or stored.
// Vars set with `pounce var set` would go and the caller did not say to delete them.
export class HandSetVarsWouldGo extends Error {}

export async function prepareDeploy(
  deps: DeployDeps,
  manifest: Manifest,
  files: BuildFiles,
  opts: { deleteVarsSetByHand?: boolean } = {},
): Promise<PreparedDeploy> {
  // What the deploy will change, planned once: checked here, shown early when pip runs.
  // The deploy's transaction plans again, as applied.
  const changes = await planManifest(deps.db, deps.box, manifest);
  const doomed = handSetVarsDeleted(changes);
  if (doomed.length && !opts.deleteVarsSetByHand) {
    throw new HandSetVarsWouldGo(
      `this deploy would delete vars set by hand with \`pounce var set\` that the manifest ` +
        `does not have: ${doomed.join(", ")}. Add them to the manifest, or deploy with --yes ` +
        "to delete them",
    );
  }
  const { exports, imports, warnings } = await checkCode(deps.python, manifest, files);
  const plan = deps.venvs.plan(files, imports);
  const buildsVenv = deps.venvs.willBuild(plan);
  return {
    buildsVenv,
    run: async (progress) => {
      if (buildsVenv) { for (const line of changes.lines) progress(line); }
      const result = await run(deps, manifest, files, exports, plan, progress);
      result.lines.push(...warnings);
      return result;
    },
  };
}

// The project's code against its manifest, as deploy and `pounce manifest validate` check
// it: refused (DeployRefused) for bad file names, a trigger's file missing, a syntax error;
// warned of for a trigger's function that its file does not define at top level (it may
// still be bound some other way, e.g. imported).
export async function checkCode(
  python: Python,
  manifest: Manifest,
  files: BuildFiles,
): Promise<Scan & { warnings: string[] }> {
  try {
    checkBuildFiles(files);
  } catch (err) {
    refusing(BuildError)(err);
  }
  for (const [i, t] of manifest.project.triggers.entries()) {
    const file = t.call && entrypointFile(t.call);
    if (file && !(file in files)) {
      throw new DeployRefused(
        `project.triggers[${i}].call: file "${file}" is not in the project's files`,
      );
    }
  }
  const { exports, imports } = await scanCode(python, files).catch(refusing(SyntaxCheckError));
  const warnings: string[] = [];
  for (const t of manifest.project.triggers) {
    const [file, fn] = t.call?.split(":") ?? [];
    // Exports are scanned in top-level files only.
    if (!fn || file.includes("/") || exports.some((e) => e.file === file && e.name === fn)) {
      continue;
    }
    const inFile = exports.filter((e) => e.file === file).map((e) => e.name);
    warnings.push(
      `[warn] trigger "${t.name}": ${file} has no top-level function "${fn}" (call: ${t.call})` +
        suggestion(fn, inFile),
    );
  }
  return { exports, imports, warnings };
}

// The venv is built before anything is stored: if pip fails, nothing changed and the
// previous deployment stays active.
async function run(
  deps: DeployDeps,
  manifest: Manifest,
  files: BuildFiles,
  exports: unknown,
  plan: Plan,
  progress: (line: string) => void,
): Promise<DeployResult> {
  const venv = await deps.venvs.ensure(files, plan, progress).catch(refusing(VenvError));
  try {
    const result = await deploy(deps.db, deps.box, {
      manifest,
      files: encodeFiles(files),
      exports,
    });
    log.info("deployed", {
      project: manifest.project.name,
      deployment: result.deploymentId,
      build: result.buildId,
    });
    await deps.integrations.reload();
    result.lines.push(...await deps.integrations.hints(result.projectId));
    const at = result.lines.findIndex((l) => l.startsWith("[exec] create_build"));
    result.lines.splice(at < 0 ? result.lines.length : at, 0, ...venvLines(venv));
    return result;
  } finally {
    venv.release();
  }
}

function venvLines(venv: Ensured): string[] {
  const lines: string[] = [];
  const b = venv.batteries;
  if (b) {
    lines.push(
      `[exec] build_venv: ${b.created ? "created" : "reused"} the default environment "${b.key}"`,
    );
  }
  if (venv.key && venv.key !== b?.key) {
    lines.push(`[exec] build_venv: ${venv.created ? "created" : "reused"} "${venv.key}"`);
  }
  return [...lines, ...venv.warnings];
}

// Rethrows an error, one of class `kind` as a DeployRefused with its message.
function refusing(kind: new (...args: never[]) => Error): (err: unknown) => never {
  return (err) => {
    if (err instanceof kind) throw new DeployRefused(err.message);
    throw err;
  };
}
