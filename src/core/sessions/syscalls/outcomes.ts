// outcome / http_outcome: an OUTCOME log record for the triggering (or a given) event,
// which a synchronous webhook answers with once it is committed.
//
// The call is answered before its step commits: its result (null) is the same whether
// the step is replayed or the call made again. The step commits with the run's next write
// that commits (its end, for a handler that answers last: one commit for both) or when
// the runner's next frame comes (see run.ts), at the latest after group commit's lazy
// delay. A crash before that commit makes the call again on replay (docs/protocol.md).
import type { SyscallContext } from "./context.ts";
import { journalWithRecords } from "./context.ts";

export function outcome(ctx: SyscallContext, args: Record<string, unknown>): Promise<null> {
  const eventId = typeof args.event_id === "string" && args.event_id
    ? args.event_id
    : ctx.session.eventId;
  ctx.unawaited(journalWithRecords(ctx, null, [["outcome", {
    event_id: eventId,
    value: args.value ?? null,
  }]], true));
  return Promise.resolve(null);
}
