// Resolving names the API is given: projects by name or id, sessions by id or project.
import { projectByRef } from "../../core/projects/projects.ts";
import type { Engine } from "../engine.ts";
import { ApiError } from "./errors.ts";

export async function projectByName(engine: Engine, name: string | undefined) {
  if (!name) throw new ApiError(400, "project is required");
  const p = await projectByRef(engine.db, name);
  if (!p) throw new ApiError(404, `project "${name}" not found`);
  return p;
}

export async function optionalProject(engine: Engine, name: string | undefined) {
  return name ? await projectByName(engine, name) : undefined;
}

// A session id, or a project name meaning that project's latest session.
export async function sessionByRef(engine: Engine, ref: string) {
  if (ref.startsWith("ses_")) {
    const s = await engine.sessions.get(ref);
    if (!s) throw new ApiError(404, `session "${ref}" not found`);
    return s;
  }
  const s = await engine.sessions.latest((await projectByName(engine, ref)).id);
  if (!s) throw new ApiError(404, `project "${ref}" has no sessions`);
  return s;
}
