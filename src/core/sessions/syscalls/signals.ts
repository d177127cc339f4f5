// signal / next_signal: named messages to a session, buffered until consumed.
import { and, asc, eq, inArray } from "drizzle-orm";
import { now } from "../../util/clock.ts";
import type { Sealer } from "../../projects/at-rest.ts";
import type { Tx } from "../../db/tx.ts";
import { sessions, signals } from "../../db/schema.ts";
import {
  commit,
  stringArg,
  type SyscallContext,
  SyscallError,
  timeoutArg,
  waitFor,
} from "./context.ts";

// `seal`: the sender's sealer (at-rest.ts).
export async function sendSignal(
  tx: Tx,
  sessionId: string,
  name: string,
  payload: unknown,
  seal: Sealer,
): Promise<void> {
  await tx.insert(signals).values({
    sessionId,
    name,
    payload: seal.text(JSON.stringify(payload ?? null)),
    createdAt: now(),
  });
}

export async function signal(ctx: SyscallContext, args: Record<string, unknown>): Promise<null> {
  const target = stringArg(args, "session_id");
  const name = stringArg(args, "name");
  await commit(ctx, async (tx) => {
    const exists = await tx.query.sessions.findFirst({
      where: eq(sessions.id, target),
      columns: { id: true },
    });
    if (!exists) throw new SyscallError(`session "${target}" not found`);
    await sendSignal(tx, target, name, args.payload, ctx.seal);
    return null;
  });
  ctx.deps.wakeups.notify(target);
  return null;
}

export function nextSignal(ctx: SyscallContext, args: Record<string, unknown>) {
  const names = Array.isArray(args.names) ? args.names : [args.names];
  if (!names.length || names.some((n) => typeof n !== "string")) {
    throw new SyscallError("names must be strings");
  }
  return waitFor(ctx, timeoutArg(args.timeout_ms), async (tx) => {
    const [found] = await tx.select().from(signals)
      .where(
        and(
          eq(signals.sessionId, ctx.session.id),
          eq(signals.consumed, false),
          inArray(signals.name, names as string[]),
        ),
      )
      .orderBy(asc(signals.seq)).limit(1);
    if (!found) return undefined;
    await tx.update(signals).set({ consumed: true }).where(eq(signals.seq, found.seq));
    const payload = found.payload === null
      ? null
      : JSON.parse(ctx.deps.box.openText(found.payload));
    return { name: found.name, payload };
  });
}
