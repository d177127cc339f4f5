// Which venvs are still needed: those of the builds of active and draining deployments
// and of sessions not yet ended, with the names of the projects that use each.
import { eq, inArray } from "drizzle-orm";
import { decodeFiles } from "../core/builds.ts";
import type { Db } from "../core/db/client.ts";
import { builds, deployments, projects, sessions } from "../core/db/schema.ts";
import { REQUIREMENTS_FILE } from "./requirements.ts";
import type { Venvs } from "./venvs.ts";

export async function venvUsage(db: Db, venvs: Venvs): Promise<Map<string, string[]>> {
  const live = [
    ...await db.select({ buildId: deployments.buildId, project: projects.name })
      .from(deployments)
      .innerJoin(projects, eq(projects.id, deployments.projectId))
      .where(inArray(deployments.state, ["active", "draining"])),
    ...await db.selectDistinct({ buildId: sessions.buildId, project: projects.name })
      .from(sessions)
      .innerJoin(projects, eq(projects.id, sessions.projectId))
      .where(inArray(sessions.state, ["created", "running"])),
  ];
  const usage = new Map<string, Set<string>>();
  const keyOfBuild = new Map<string, string | null>();
  for (const { buildId, project } of live) {
    if (!keyOfBuild.has(buildId)) {
      const row = await db.query.builds.findFirst({ where: eq(builds.id, buildId) });
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
