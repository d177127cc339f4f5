// POST /api/deploy (core/deploy-service.ts: check, build the venv, deploy, activate) and
// POST /api/manifest/plan. A deploy that builds a venv streams pip's progress to clients
// that accept it.
import { Hono } from "hono";
import { z } from "zod";
import { declaredBodyLimit } from "../body-limit.ts";
import type { BuildFiles } from "../../core/projects/builds.ts";
import { planManifest } from "../../core/projects/deploy.ts";
import {
  DeployRefused,
  HandSetVarsWouldGo,
  prepareDeploy,
} from "../../core/projects/deploy-service.ts";
import { ManifestError } from "../../core/projects/manifest-error.ts";
import { parseManifestOffLoop } from "../../core/projects/manifest-parse.ts";
import { eventlessTriggers, markSecretVars } from "../../integrations/registry.ts";
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
  // Delete vars set with `pounce var set` that the manifest no longer has (`deploy --yes`).
  delete_vars_set_by_hand: z.boolean().optional(),
});

const planBody = z.object({ manifest: z.string().optional() });

export function deployRoutes(engine: Engine): Hono {
  const api = new Hono();

  api.post(
    "/deploy",
    declaredBodyLimit({
      maxSize: MAX_UPLOAD_BYTES,
      onError: (c) => c.json({ error: "upload too large" }, 413),
    }),
    async (c) => {
      const body = await jsonBody(c, deployBody);
      const manifest = await parseBody(body.manifest);
      if (body.project_name) {
        const { checkName } = await import("../../core/projects/manifest.ts");
        manifest.project.name = await manifestField(() =>
          checkName("project_name", body.project_name!)
        );
      }
      const files: BuildFiles = {};
      for (const [name, b64] of Object.entries(body.files ?? {})) {
        files[name] = Buffer.from(b64, "base64");
      }
      const prepared = await prepareDeploy(engine, manifest, files, {
        deleteVarsSetByHand: body.delete_vars_set_by_hand,
      }).catch(refused);
      const warnings = [...eventlessTriggers(manifest), ...(manifest.ignored ?? [])];
      const run = (progress: (line: string) => void) =>
        prepared.run(progress).then(
          (r) => ({ ...r, lines: [...r.lines.map(withUrl(engine.serviceUrl())), ...warnings] }),
          refused,
        );
      if (prepared.buildsVenv && acceptsProgress(c.req.header("accept"))) {
        return progressResponse(run);
      }
      return c.json(await run(() => {}));
    },
  );

  api.post("/manifest/plan", async (c) => {
    const body = await jsonBody(c, planBody);
    const manifest = await parseBody(body.manifest);
    const plan = await planManifest(engine.db, engine.box, manifest);
    const lines = [...plan.lines, ...eventlessTriggers(manifest), ...(manifest.ignored ?? [])];
    return c.json({ lines, actions: plan.actions.map((a) => a.kind) });
  });

  return api;
}

async function parseBody(text: string | undefined) {
  if (typeof text !== "string") throw new ApiError(400, "manifest: required");
  return await manifestField(async () => markSecretVars(await parseManifestOffLoop(text)));
}

// A deploy the upload cannot make is a 400.
function refused(err: unknown): never {
  if (err instanceof DeployRefused) throw new ApiError(400, err.message);
  if (err instanceof HandSetVarsWouldGo) throw new ApiError(409, err.message);
  throw err;
}

// A manifest check's error as a 400 naming the field.
async function manifestField<T>(check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    if (err instanceof ManifestError) throw new ApiError(400, err.message);
    throw err;
  }
}

// AutoKitteh's line names the webhook's path; the full URL to paste follows it.
function withUrl(base: string): (line: string) => string {
  return (line) => line.replace(/webhook path is "(\/webhooks\/[^"]+)"/, `$&, URL ${base}$1`);
}
