// Hands an integration's event to each connection it is for: one event per connection (as
// AutoKitteh does), stored with the sessions of that connection's triggers.
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
    const { event } = await ctx.dispatcher.receive({
      projectId: conn.projectId,
      destinationId: conn.id,
      eventType,
      data,
      memo: { connection_id: conn.id },
    }, ctx.integration);
    ids.push(event.id);
  }
  return ids;
}
