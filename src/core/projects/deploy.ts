// Plan and apply a manifest (reconcile one project's vars, connections and triggers),
// then build, deploy and activate: what `pounce deploy` does, in one transaction.
import { and, eq } from "drizzle-orm";
import { now } from "../util/clock.ts";
import { writeConfig } from "./config-cache.ts";
import { configChanged } from "./config-changed.ts";
import type { Db } from "../db/client.ts";
import { builds, connections, deployments, projects, triggers, vars } from "../db/schema.ts";
import type { Tx } from "../db/tx.ts";
import { newId, newSlug } from "../util/ids.ts";
import type { Manifest, ManifestTrigger, ManifestVar } from "./manifest.ts";
import type { SecretBox } from "./secrets.ts";
import { activate } from "./deployments.ts";

type Trigger = typeof triggers.$inferSelect;

export type Action =
  | { kind: "create_project"; name: string; displayName?: string }
  | { kind: "update_project"; id: string; displayName?: string }
  | { kind: "set_var"; scope: string; v: ManifestVar }
  | { kind: "delete_var"; scope: string; name: string; byHand?: boolean }
  | { kind: "create_connection"; name: string; integration: string }
  | { kind: "delete_connection"; id: string; name: string }
  | { kind: "create_trigger"; trigger: ManifestTrigger }
  | { kind: "update_trigger"; id: string; trigger: ManifestTrigger }
  | { kind: "delete_trigger"; id: string; name: string };

export type Plan = { projectName: string; projectId?: string; actions: Action[]; lines: string[] };

// The vars a plan deletes that were set with `pounce var set`: a deploy asks first.
export function handSetVarsDeleted(plan: Plan): string[] {
  return plan.actions.flatMap((a) =>
    a.kind === "delete_var" && a.byHand ? [`${a.scope}/${a.name}`] : []
  );
}

export async function planManifest(db: Db | Tx, box: SecretBox, m: Manifest): Promise<Plan> {
  const p = m.project;
  const lines: string[] = [];
  const actions: Action[] = [];
  const say = (what: string, status: string) => lines.push(`[plan] ${what}: ${status}`);
  const project = await db.query.projects.findFirst({ where: eq(projects.name, p.name) });
  if (!project) {
    say(`project "${p.name}"`, "not found, will create");
    actions.push({ kind: "create_project", name: p.name, displayName: p.displayName });
  } else {
    say(`project "${p.name}"`, `found, id="${project.id}"`);
    if ((project.displayName ?? undefined) !== p.displayName) {
      actions.push({ kind: "update_project", id: project.id, displayName: p.displayName });
    }
  }

  const existingVars = project
    ? await db.select().from(vars).where(eq(vars.scopeId, project.id))
    : [];
  const planVars = (
    scope: string,
    wanted: ManifestVar[],
    have: typeof existingVars,
    prune: boolean,
  ) => {
    for (const v of wanted) {
      const cur = have.find((e) => e.name === v.name);
      const curValue = cur && (cur.isSecret ? box.open(cur.value) : cur.value);
      const label = `var "${scope}/${v.name}"`;
      if (!cur) say(label, "not found, will set");
      else if (
        curValue !== v.value || cur.isSecret !== v.secret ||
        (cur.description ?? undefined) !== v.description
      ) {
        say(label, "differs, will set");
      } else continue;
      actions.push({ kind: "set_var", scope, v });
    }
    if (!prune) return;
    for (const cur of have) {
      if (wanted.some((v) => v.name === cur.name)) continue;
      const byHand = !!cur.setByHand;
      say(
        `var "${scope}/${cur.name}"`,
        byHand
          ? "set by hand (pounce var set), not in manifest, will delete"
          : "not in manifest, will delete",
      );
      actions.push({ kind: "delete_var", scope, name: cur.name, byHand });
    }
  };
  planVars(p.name, p.vars, existingVars, true);

  const existingConns = project
    ? await db.select().from(connections).where(eq(connections.projectId, project.id))
    : [];
  for (const c of p.connections) {
    const cur = existingConns.find((e) => e.name === c.name);
    if (!cur || cur.integration !== c.integration) {
      if (cur) actions.push({ kind: "delete_connection", id: cur.id, name: cur.name });
      say(`connection "${p.name}/${c.name}"`, "not found, will create");
      actions.push({ kind: "create_connection", name: c.name, integration: c.integration });
      planVars(`${p.name}/${c.name}`, c.vars, [], false);
      continue;
    }
    const have = await db.select().from(vars).where(eq(vars.scopeId, cur.id));
    planVars(`${p.name}/${c.name}`, c.vars, have, false);
  }
  for (const cur of existingConns) {
    if (p.connections.some((c) => c.name === cur.name)) continue;
    say(`connection "${p.name}/${cur.name}"`, "not in manifest, will delete");
    actions.push({ kind: "delete_connection", id: cur.id, name: cur.name });
  }

  const existingTriggers = project
    ? await db.select().from(triggers).where(eq(triggers.projectId, project.id))
    : [];
  for (const t of p.triggers) {
    const cur = existingTriggers.find((e) => e.name === t.name);
    const label = `trigger "${p.name}:${t.type}/${t.name}"`;
    if (!cur) {
      say(label, "not found, will create");
      actions.push({ kind: "create_trigger", trigger: t });
    } else if (triggerDiffers(cur, t)) {
      say(label, "differs, will update");
      actions.push({ kind: "update_trigger", id: cur.id, trigger: t });
    }
  }
  for (const cur of existingTriggers) {
    if (p.triggers.some((t) => t.name === cur.name)) continue;
    say(`trigger "${p.name}:${cur.sourceType}/${cur.name}"`, "not in manifest, will delete");
    actions.push({ kind: "delete_trigger", id: cur.id, name: cur.name });
  }
  return { projectName: p.name, projectId: project?.id, actions, lines };
}

function triggerDiffers(cur: Trigger, t: ManifestTrigger): boolean {
  return cur.sourceType !== t.type || cur.eventType !== t.eventType || cur.filter !== t.filter ||
    (cur.call ?? undefined) !== t.call || cur.isDurable !== t.isDurable ||
    cur.isSync !== t.isSync ||
    (cur.schedule ?? undefined) !== t.schedule || (cur.timezone ?? undefined) !== t.timezone;
}

export type DeployInput = {
  manifest: Manifest;
  files: Uint8Array; // encoded build files (see builds.ts)
  exports: unknown;
};

export type DeployResult = {
  lines: string[];
  projectId: string;
  buildId: string;
  deploymentId: string;
  webhooks: { trigger: string; slug: string }[];
};

export async function deploy(db: Db, box: SecretBox, input: DeployInput): Promise<DeployResult> {
  const result = await writeConfig(db, () =>
    db.transaction(async (tx) => {
      const plan = await planManifest(tx, box, input.manifest);
      const lines = [...plan.lines];
      const projectId = await applyPlan(tx, box, plan, lines);
      const t = now();
      const buildId = newId("bld");
      await tx.insert(builds).values({
        id: buildId,
        projectId,
        files: Buffer.from(input.files),
        exports: input.exports,
        createdAt: t,
      });
      lines.push(`[exec] create_build: created "${buildId}"`);
      const deploymentId = newId("dep");
      await tx.insert(deployments).values({
        id: deploymentId,
        projectId,
        buildId,
        state: "inactive",
        createdAt: t,
        updatedAt: t,
      });
      lines.push(`[exec] create_deployment: created "${deploymentId}"`);
      await activate(tx, projectId, deploymentId);
      lines.push(`[exec] activate_deployment: activated`);
      const hooks = await tx.select().from(triggers)
        .where(and(eq(triggers.projectId, projectId), eq(triggers.sourceType, "webhook")));
      return {
        lines,
        projectId,
        buildId,
        deploymentId,
        webhooks: hooks.map((h) => ({ trigger: h.name, slug: h.webhookSlug! })),
      };
    }));
  configChanged(db).raise("deploy");
  return result;
}

async function applyPlan(tx: Tx, box: SecretBox, plan: Plan, lines: string[]): Promise<string> {
  const t = now();
  let projectId = plan.projectId;
  const exec = (what: string, id: string, status: string) =>
    lines.push(`[exec] ${what}: ${id} ${status}`);
  const connIds = new Map<string, string>();
  if (projectId) {
    for (
      const c of await tx.select().from(connections).where(eq(connections.projectId, projectId))
    ) {
      connIds.set(c.name, c.id);
    }
  }
  const scopeId = (scope: string) =>
    scope === plan.projectName ? projectId! : connIds.get(scope.split("/")[1])!;

  for (const a of plan.actions) {
    switch (a.kind) {
      case "create_project":
        projectId = newId("prj");
        await tx.insert(projects).values({
          id: projectId,
          name: a.name,
          displayName: a.displayName,
          createdAt: t,
          updatedAt: t,
        });
        exec(`create_project "${a.name}"`, projectId, "created");
        break;
      case "update_project":
        await tx.update(projects).set({ displayName: a.displayName, updatedAt: t }).where(
          eq(projects.id, a.id),
        );
        exec(`update_project "${plan.projectName}"`, a.id, "updated");
        break;
      case "set_var": {
        const id = scopeId(a.scope);
        const row = {
          scopeId: id,
          name: a.v.name,
          value: a.v.secret ? box.seal(a.v.value) : a.v.value,
          isSecret: a.v.secret,
          description: a.v.description,
          createdAt: t,
          updatedAt: t,
        };
        await tx.insert(vars).values(row).onConflictDoUpdate({
          target: [vars.scopeId, vars.name],
          set: {
            value: row.value,
            isSecret: row.isSecret,
            setByHand: false,
            description: row.description,
            updatedAt: t,
          },
        });
        exec(`set_var "${a.scope}/${a.v.name}"`, id, "updated");
        break;
      }
      case "delete_var": {
        const id = scopeId(a.scope);
        await tx.delete(vars).where(and(eq(vars.scopeId, id), eq(vars.name, a.name)));
        exec(`delete_var "${a.scope}/${a.name}"`, id, "deleted");
        break;
      }
      case "create_connection": {
        const id = newId("con");
        await tx.insert(connections).values({
          id,
          projectId: projectId!,
          name: a.name,
          integration: a.integration,
          createdAt: t,
          updatedAt: t,
        });
        connIds.set(a.name, id);
        exec(`create_connection "${plan.projectName}/${a.name}"`, id, "created");
        break;
      }
      case "delete_connection":
        await tx.delete(vars).where(eq(vars.scopeId, a.id));
        await tx.delete(connections).where(eq(connections.id, a.id));
        connIds.delete(a.name);
        exec(`delete_connection "${plan.projectName}/${a.name}"`, a.id, "deleted");
        break;
      case "create_trigger": {
        const id = newId("trg");
        const slug = a.trigger.type === "webhook" ? newSlug() : null;
        await tx.insert(triggers).values({
          id,
          projectId: projectId!,
          ...triggerFields(a.trigger, connIds),
          webhookSlug: slug,
          createdAt: t,
          updatedAt: t,
        });
        exec(
          `create_trigger "${plan.projectName}:${a.trigger.type}/${a.trigger.name}"`,
          id,
          "created",
        );
        if (slug) {
          lines.push(
            `[!!!!] trigger "${a.trigger.name}" created, webhook path is "/webhooks/${slug}"`,
          );
        }
        break;
      }
      case "update_trigger": {
        const cur = await tx.query.triggers.findFirst({ where: eq(triggers.id, a.id) });
        const slug = a.trigger.type === "webhook" ? cur?.webhookSlug ?? newSlug() : null;
        await tx.update(triggers).set({
          ...triggerFields(a.trigger, connIds),
          webhookSlug: slug,
          updatedAt: t,
        })
          .where(eq(triggers.id, a.id));
        exec(
          `update_trigger "${plan.projectName}:${a.trigger.type}/${a.trigger.name}"`,
          a.id,
          "updated",
        );
        break;
      }
      case "delete_trigger":
        await tx.delete(triggers).where(eq(triggers.id, a.id));
        exec(`delete_trigger "${plan.projectName}/${a.name}"`, a.id, "deleted");
        break;
    }
  }
  for (const hook of await tx.select().from(triggers).where(eq(triggers.projectId, projectId!))) {
    if (
      hook.webhookSlug &&
      !plan.actions.some((a) => a.kind === "create_trigger" && a.trigger.name === hook.name)
    ) {
      lines.push(`[!!!!] trigger "${hook.name}" webhook path is "/webhooks/${hook.webhookSlug}"`);
    }
  }
  return projectId!;
}

function triggerFields(t: ManifestTrigger, connIds: Map<string, string>) {
  return {
    name: t.name,
    sourceType: t.type,
    eventType: t.eventType,
    filter: t.filter,
    call: t.call ?? null,
    isDurable: t.isDurable,
    isSync: t.isSync,
    connectionId: t.connection ? connIds.get(t.connection) ?? null : null,
    schedule: t.schedule ?? null,
    timezone: t.timezone ?? null,
  };
}
