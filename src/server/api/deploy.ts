// POST /api/deploy (apply + build the venv + deploy + activate) and POST /api/manifest/plan.
// A deploy that builds a venv streams pip's progress to clients that accept it.
import { Hono } from "hono";
import { z } from "zod";
import { log } from "../../core/log.ts";
import { bodyLimit } from "hono/body-limit";
import { BuildError, type BuildFiles, checkBuildFiles, encodeFiles } from "../../core/builds.ts";
import { deploy, planManifest } from "../../core/deploy.ts";
import { checkName, ManifestError, parseManifest } from "../../core/manifest.ts";
import { scanExports, SyntaxCheckError } from "../../pythonrt/exports.ts";
import { REQUIREMENTS_FILE } from "../../pythonrt/requirements.ts";
import { VenvError } from "../../pythonrt/venvs.ts";
import { markSecretVars } from "../../integrations/registry.ts";
import type { Engine } from "../engine.ts";
import { jsonBody } from "./body.ts";
import { ApiError } from "./errors.ts";
import { acceptsProgress, progressResponse } from "./progress.ts";

const MAX_UPLOAD_BYTES = 96 << 20;

// The manifest's absence is parseBody's error.
const deployBody = z.object({
  manifest: z.string().optional(),
  files: z.record(z.string(), z.string()).optional(),
  project_name: z.string().optional(),
});

const planBody = z.object({ manifest: z.string().optional() });

export function deployRoutes(engine: Engine): Hono {
  const api = new Hono();

  api.post(
    "/deploy",
    bodyLimit({
      maxSize: MAX_UPLOAD_BYTES,
      onError: (c) => c.json({ error: "upload too large" }, 413),
    }),
    async (c) => {
      const body = await jsonBody(c, deployBody);
      const manifest = parseBody(body.manifest);
      if (body.project_name) {
        manifest.project.name = manifestField(() => checkName("project_name", body.project_name!));
      }
      const files: BuildFiles = {};
      for (const [name, b64] of Object.entries(body.files ?? {})) {
        files[name] = Buffer.from(b64, "base64");
      }
      try {
        checkBuildFiles(files);
      } catch (err) {
        if (err instanceof BuildError) throw new ApiError(400, err.message);
        throw err;
      }
      for (const [i, t] of manifest.project.triggers.entries()) {
        const file = t.call?.split(":")[0];
        if (file && !(file in files)) {
          throw new ApiError(
            400,
            `project.triggers[${i}].call: file "${file}" is not in the project's files`,
          );
        }
      }
      let exports;
      try {
        exports = await scanExports(engine.python, files);
      } catch (err) {
        if (err instanceof SyntaxCheckError) throw new ApiError(400, err.message);
        throw err;
      }
      // The venv is built before anything is stored: if pip fails, nothing changed and
      // the previous deployment stays active.
      const run = async (progress: (line: string) => void) => {
        const venv = await engine.venvs.ensure(files, progress).catch((err) => {
          if (err instanceof VenvError) throw new ApiError(400, err.message);
          throw err;
        });
        try {
          const result = await deploy(engine.db, engine.box, {
            manifest,
            files: encodeFiles(files),
            exports,
          });
          log.info("deployed", {
            project: manifest.project.name,
            deployment: result.deploymentId,
            build: result.buildId,
          });
          // Schedules and Socket Mode links follow the new triggers and connections.
          await engine.integrations.reload();
          result.lines.push(...await engine.integrations.hints(result.projectId));
          if (venv.key) {
            const at = result.lines.findIndex((l) => l.startsWith("[exec] create_build"));
            result.lines.splice(
              at < 0 ? result.lines.length : at,
              0,
              `[exec] build_venv: ${venv.created ? "created" : "reused"} "${venv.key}"`,
            );
          }
          return result;
        } finally {
          venv.release();
        }
      };
      const building = files[REQUIREMENTS_FILE] &&
        !engine.venvs.isComplete(engine.venvs.keyOf(files[REQUIREMENTS_FILE]));
      if (building && acceptsProgress(c.req.header("accept"))) return progressResponse(run);
      return c.json(await run(() => {}));
    },
  );

  api.post("/manifest/plan", async (c) => {
    const body = await jsonBody(c, planBody);
    const plan = await planManifest(engine.db, engine.box, parseBody(body.manifest));
    return c.json({ lines: plan.lines, actions: plan.actions.map((a) => a.kind) });
  });

  return api;
}

function parseBody(text: string | undefined) {
  if (typeof text !== "string") throw new ApiError(400, "manifest: required");
  return manifestField(() => markSecretVars(parseManifest(text)));
}

// A manifest check's error as a 400 naming the field.
function manifestField<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ManifestError) throw new ApiError(400, err.message);
    throw err;
  }
}
