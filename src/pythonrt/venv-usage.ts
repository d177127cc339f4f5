// Which venvs are still needed: those of the builds of active and draining deployments
// and of sessions not yet ended, with the names of the projects that use each.
import { buildById, buildsInUse, decodeFiles } from "../core/projects/builds.ts";
import type { Db } from "../core/db/client.ts";
import { REQUIREMENTS_FILE } from "./requirements.ts";
import type { Venvs } from "./venvs.ts";

export async function venvUsage(db: Db, venvs: Venvs): Promise<Map<string, string[]>> {
  const live = await buildsInUse(db);
  const usage = new Map<string, Set<string>>();
  const keyOfBuild = new Map<string, string | null>();
  for (const { buildId, project } of live) {
    if (!keyOfBuild.has(buildId)) {
      const row = await buildById(db, buildId);
      const requirements = row && decodeFiles(row.files)[REQUIREMENTS_FILE];
      keyOfBuild.set(buildId, requirements ? venvs.keyOf(requirements) : null);
    }
    const key = keyOfBuild.get(buildId);
    if (!key) continue;
    if (!usage.has(key)) usage.set(key, new Set());
    usage.get(key)!.add(project);
  }
  return new Map([...usage].map(([key, names]) => [key, [...names].sort()]));
}
