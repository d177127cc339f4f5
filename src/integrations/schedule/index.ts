// Schedule triggers: a `tick` event on the trigger at every time its cron expression (or
// `@every` interval) names. The timers live in src/integrations/schedule/scheduler.ts.
import { Scheduler } from "./scheduler.ts";
import type { Integration } from "../types.ts";

export const schedule: Integration = {
  name: "schedule",
  events: true,
  async start(ctx) {
    const scheduler = new Scheduler(ctx.db, ctx.dispatcher);
    await scheduler.reload();
    return scheduler;
  },
};
