// The project key/value store (AutoKitteh §5): atomic operations on tagged-JSON values.
import { and, asc, count, eq } from "drizzle-orm";
import { now } from "../../util/clock.ts";
import { storeValues } from "../../db/schema.ts";
import type { Db } from "../../db/client.ts";
import type { Tx } from "../../db/tx.ts";
import type { SecretBox } from "../../projects/secrets.ts";
import { commit, stringArg, type SyscallContext, SyscallError } from "./context.ts";

type Value = unknown;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function asBigInt(v: Value): bigint | undefined {
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (v && typeof v === "object" && typeof (v as { $bigint?: unknown }).$bigint === "string") {
    return BigInt((v as { $bigint: string }).$bigint);
  }
  return undefined;
}

function fromBigInt(n: bigint): Value {
  return n > MAX_SAFE || n < -MAX_SAFE ? { $bigint: n.toString() } : Number(n);
}

function add(a: Value, b: Value): Value {
  const [x, y] = [asBigInt(a), asBigInt(b)];
  if (x !== undefined && y !== undefined) return fromBigInt(x + y);
  const num = (
    v: Value,
  ) => (typeof v === "number" ? v : asBigInt(v) !== undefined ? Number(asBigInt(v)) : undefined);
  const [p, q] = [num(a), num(b)];
  if (p === undefined || q === undefined) {
    throw new SyscallError("add: both values must be numbers");
  }
  return p + q;
}

// A canonical text for equality: ints in one form, object keys sorted.
function canonical(v: Value): string {
  const norm = (x: Value): Value => {
    const big = asBigInt(x);
    if (big !== undefined) return { $int: big.toString() };
    if (Array.isArray(x)) return x.map(norm);
    if (x && typeof x === "object") {
      return Object.fromEntries(
        Object.keys(x).sort().map((k) => [k, norm((x as Record<string, Value>)[k])]),
      );
    }
    return x;
  };
  return JSON.stringify(norm(v) ?? null);
}

// The key's row with its value opened (at-rest.ts), undefined when there is none.
async function read(ctx: SyscallContext, tx: Tx, key: string) {
  const [row] = await tx.select().from(storeValues).where(
    and(eq(storeValues.projectId, ctx.session.projectId), eq(storeValues.key, key)),
  );
  return row && { ...row, value: JSON.parse(ctx.deps.box.openText(row.value)) as Value };
}

async function write(
  ctx: SyscallContext,
  tx: Tx,
  key: string,
  value: Value,
  existed: boolean,
): Promise<void> {
  const { storeValueBytes, storeKeys } = ctx.deps.limits;
  const json = JSON.stringify(value);
  const size = new TextEncoder().encode(json).length;
  if (size > storeValueBytes) {
    throw new SyscallError(
      `value of "${key}" is ${size} bytes, over the ${storeValueBytes}-byte limit`,
    );
  }
  const projectId = ctx.session.projectId;
  if (!existed) {
    const [{ n }] = await tx.select({ n: count() }).from(storeValues).where(
      eq(storeValues.projectId, projectId),
    );
    if (n >= storeKeys) {
      throw new SyscallError(`the project already has ${storeKeys} keys, the limit`);
    }
  }
  const t = now();
  const stored = ctx.seal.text(json);
  await tx.insert(storeValues).values({ projectId, key, value: stored, createdAt: t, updatedAt: t })
    .onConflictDoUpdate({
      target: [storeValues.projectId, storeValues.key],
      set: { value: stored, updatedAt: t },
    });
}

export function store(ctx: SyscallContext, args: Record<string, unknown>): Promise<Value> {
  const op = stringArg(args, "op");
  const key = stringArg(args, "key");
  if (!key) throw new SyscallError("key must not be empty");
  const operands = Array.isArray(args.operands) ? args.operands : [];
  const projectId = ctx.session.projectId;
  return commit(ctx, async (tx) => {
    const row = await read(ctx, tx, key);
    const current = row ? row.value : null;
    switch (op) {
      case "get":
        return current;
      case "set":
        // Setting None deletes the key, as in AutoKitteh.
        if (operands[0] === null || operands[0] === undefined) {
          if (row) {
            await tx.delete(storeValues).where(
              and(eq(storeValues.projectId, projectId), eq(storeValues.key, key)),
            );
          }
        } else await write(ctx, tx, key, operands[0], !!row);
        return null;
      case "del":
        if (row) {
          await tx.delete(storeValues).where(
            and(eq(storeValues.projectId, projectId), eq(storeValues.key, key)),
          );
        }
        return current;
      case "add": {
        const next = row ? add(current, operands[0]) : operands[0];
        await write(ctx, tx, key, next, !!row);
        return next;
      }
      case "check_and_set": {
        if (canonical(current) !== canonical(operands[0] ?? null)) return false;
        await write(ctx, tx, key, operands[1] ?? null, !!row);
        return true;
      }
      default:
        throw new SyscallError(`unknown store operation "${op}"`);
    }
  });
}

export function storeKeys(ctx: SyscallContext): Promise<string[]> {
  return commit(ctx, async (tx) => {
    const rows = await tx.select({ key: storeValues.key }).from(storeValues)
      .where(eq(storeValues.projectId, ctx.session.projectId)).orderBy(asc(storeValues.key));
    return rows.map((r) => r.key);
  });
}

export function setPublished(published: boolean) {
  return (ctx: SyscallContext, args: Record<string, unknown>): Promise<null> => {
    const key = stringArg(args, "key");
    return commit(ctx, async (tx) => {
      const where = and(eq(storeValues.projectId, ctx.session.projectId), eq(storeValues.key, key));
      const updated = await tx.update(storeValues).set({ published, updatedAt: now() }).where(where)
        .returning();
      if (!updated.length) throw new SyscallError(`key "${key}" not found`);
      return null;
    });
  };
}

// A value the project published, readable without a token at /store/<project>/<key>;
// undefined when the key is not published.
export async function publishedValue(
  db: Db,
  box: SecretBox,
  projectId: string,
  key: string,
): Promise<{ value: unknown } | undefined> {
  const row = await db.query.storeValues.findFirst({
    where: and(eq(storeValues.projectId, projectId), eq(storeValues.key, key)),
  });
  return row?.published ? { value: JSON.parse(box.openText(row.value)) } : undefined;
}
