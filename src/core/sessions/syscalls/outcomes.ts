// outcome / http_outcome: an OUTCOME log record for the triggering (or a given) event,
// which a synchronous webhook answers with.
import type { SyscallContext } from "./context.ts";
import { journalWithRecords } from "./context.ts";

export async function outcome(ctx: SyscallContext, args: Record<string, unknown>): Promise<null> {
  const eventId = typeof args.event_id === "string" && args.event_id
    ? args.event_id
    : ctx.session.eventId;
  await journalWithRecords(ctx, null, [["outcome", {
    event_id: eventId,
    value: args.value ?? null,
  }]]);
  return null;
}
