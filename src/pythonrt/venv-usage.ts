// Which venvs are still needed: those of the builds of active and draining deployments
// and of sessions not yet ended (the default environment too, for a build on it), with
// the names of the projects that use each.
import { buildById, buildsInUse, decodeFiles } from "../core/projects/builds.ts";
import type { Db } from "../core/db/client.ts";
import type { Venvs } from "./venvs.ts";

export async function venvUsage(db: Db, venvs: Venvs): Promise<Map<string, string[]>> {
  const live = await buildsInUse(db);
  const usage = new Map<string, Set<string>>();
  const keysOfBuild = new Map<string, string[]>();
  for (const { buildId, project } of live) {
    if (!keysOfBuild.has(buildId)) {
      const row = await buildById(db, buildId);
      keysOfBuild.set(buildId, row ? await venvs.keysOfBuild(buildId, decodeFiles(row.files)) : []);
    }
    for (const key of keysOfBuild.get(buildId)!) {
      if (!usage.has(key)) usage.set(key, new Set());
      usage.get(key)!.add(project);
    }
  }
  return new Map([...usage].map(([key, names]) => [key, [...names].sort()]));
}
