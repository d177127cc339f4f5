// Vars of a project or of a connection (its scope): stored, secrets sealed.
import { and, eq, inArray } from "drizzle-orm";
import { now } from "../util/clock.ts";
import { writeConfig } from "./config-cache.ts";
import { configChanged } from "./config-changed.ts";
import type { Db } from "../db/client.ts";
import { vars } from "../db/schema.ts";
import type { SecretBox } from "./secrets.ts";
import { groupCommit } from "../db/group-commit.ts";

export type Var = typeof vars.$inferSelect;

export type VarInput = { name: string; value: string; secret: boolean; description?: string };

// A scope's vars, by name; secret values still sealed.
export function varsOf(db: Db, scopeId: string): Promise<Var[]> {
  return db.select().from(vars).where(eq(vars.scopeId, scopeId)).orderBy(vars.name);
}

// Creates or replaces a var; a secret one is sealed with `box`.
export async function setVar(db: Db, box: SecretBox, scopeId: string, v: VarInput): Promise<void> {
  const t = now();
  const row = {
    scopeId,
    name: v.name,
    value: v.secret ? box.seal(v.value) : v.value,
    isSecret: v.secret,
    description: v.description,
    setByHand: true,
    createdAt: t,
    updatedAt: t,
  };
  await writeConfig(
    db,
    () =>
      groupCommit(db).write((tx) =>
        tx.insert(vars).values(row).onConflictDoUpdate({
          target: [vars.scopeId, vars.name],
          set: {
            value: row.value,
            isSecret: row.isSecret,
            description: row.description,
            setByHand: true,
            updatedAt: t,
          },
        }), { isolated: true }),
  );
  configChanged(db).raise("vars");
}

// Creates or replaces several vars of a scope in one transaction (e.g. a token set).
export async function setVars(
  db: Db,
  box: SecretBox,
  scopeId: string,
  list: VarInput[],
): Promise<void> {
  const t = now();
  await writeConfig(db, () =>
    db.transaction(async (tx) => {
      for (const v of list) {
        const value = v.secret ? box.seal(v.value) : v.value;
        await tx.insert(vars).values({
          scopeId,
          name: v.name,
          value,
          isSecret: v.secret,
          description: v.description,
          createdAt: t,
          updatedAt: t,
        }).onConflictDoUpdate({
          target: [vars.scopeId, vars.name],
          set: { value, isSecret: v.secret, description: v.description, updatedAt: t },
        });
      }
    }));
  configChanged(db).raise("vars");
}

// Deletes a var; false when there is none of that name.
export async function deleteVar(db: Db, scopeId: string, name: string): Promise<boolean> {
  const deleted = await writeConfig(
    db,
    () =>
      groupCommit(db).write(
        (tx) =>
          tx.delete(vars).where(and(eq(vars.scopeId, scopeId), eq(vars.name, name))).returning(),
        { isolated: true },
      ),
  );
  if (deleted.length) configChanged(db).raise("vars");
  return deleted.length > 0;
}

// Which of `names` the scopes have set.
export function varNamesIn(
  db: Db,
  scopeIds: string[],
  names: string[],
): Promise<{ scopeId: string; name: string }[]> {
  return db.select({ scopeId: vars.scopeId, name: vars.name }).from(vars)
    .where(and(inArray(vars.scopeId, scopeIds), inArray(vars.name, names)));
}

// Sets a plain var unless the scope already has one of that name.
export async function addVarIfMissing(
  db: Db,
  scopeId: string,
  name: string,
  value: string,
): Promise<void> {
  const t = now();
  const added = await writeConfig(db, () =>
    groupCommit(db).write((tx) =>
      tx.insert(vars).values({
        scopeId,
        name,
        value,
        isSecret: false,
        createdAt: t,
        updatedAt: t,
      }).onConflictDoNothing().returning({ name: vars.name }), { isolated: true }));
  if (added.length) configChanged(db).raise("vars");
}
