// Hands an integration's event to each connection it is for: stored first (one event per
// connection, as AutoKitteh does), then dispatched to that connection's triggers.
import { log } from "../core/log.ts";
import type { IntegrationContext } from "./types.ts";

export type Destination = { id: string; projectId: string };

export async function deliver(
  ctx: IntegrationContext,
  to: readonly Destination[],
  eventType: string,
  data: Record<string, unknown>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const conn of to) {
    const event = await ctx.events.store({
      projectId: conn.projectId,
      destinationId: conn.id,
      eventType,
      data,
      memo: { connection_id: conn.id },
    });
    ids.push(event.id);
    // A stored event that fails to dispatch now is dispatched at the next start.
    await ctx.dispatcher.dispatch(event).catch((err) =>
      log.error("dispatch failed", { event: event.id, error: (err as Error).message })
    );
  }
  return ids;
}
