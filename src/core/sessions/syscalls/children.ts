// start: a child session on the same build (and durability), or on another project's
// active deployment.
import { sessions } from "../../db/schema.ts";
import { activeDeployment } from "../../projects/deployments.ts";
import { projectByName } from "../../projects/projects.ts";
import { newSessionRow } from "../rows.ts";
import { commit, stringArg, type SyscallContext, SyscallError } from "./context.ts";
import { canonicalEntrypoint } from "../../projects/entrypoint.ts";

const LOCATION = /^[\w./-]+\.py(:| )\w+$/;

export async function start(ctx: SyscallContext, args: Record<string, unknown>): Promise<string> {
  const loc = stringArg(args, "loc");
  if (!LOCATION.test(loc)) {
    throw new SyscallError(`location "${loc}" must look like "file.py:function"`);
  }
  const memo = args.memo && typeof args.memo === "object"
    ? args.memo as Record<string, string>
    : {};
  const projectName = typeof args.project === "string" ? args.project : "";
  const parent = ctx.session;
  const id = await commit(ctx, async (tx) => {
    let target = {
      projectId: parent.projectId,
      deploymentId: parent.deploymentId,
      buildId: parent.buildId,
    };
    if (projectName) {
      const p = await projectByName(tx, projectName);
      if (!p) throw new SyscallError(`project "${projectName}" not found`);
      const d = await activeDeployment(tx, p.id);
      if (!d) throw new SyscallError(`project "${projectName}" has no active deployment`);
      target = { projectId: p.id, deploymentId: d.id, buildId: d.buildId };
    }
    const row = newSessionRow({
      ...target,
      parentId: parent.id,
      entrypoint: canonicalEntrypoint(loc),
      inputs: args.data ?? {},
      memo: { ...memo, parent_session_id: parent.id },
      isDurable: parent.isDurable,
    });
    await tx.insert(sessions).values(row);
    return row.id!;
  });
  ctx.deps.startSession(id);
  return id;
}
