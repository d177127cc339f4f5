// Google push-notification sources (Calendar, Drive): each integration mounts its
// notification path and keeps one watch channel per connection (watches.ts).
import { tokensOf } from "../oauth/tokens.ts";
import type { Integration, IntegrationContext } from "../types.ts";
import { calendarEvents } from "./calendar.ts";
import { driveChanges } from "./drive.ts";
import type { WatchedResource } from "./resource.ts";
import { Watches } from "./watches.ts";

const JSON_KEY = {
  name: "JSON",
  secret: true,
  description: "Google Cloud service-account key (JSON; API calls only, no watch)",
};

function channelSource(
  res: WatchedResource,
  vars: Integration["connectionVars"] = [],
): Integration {
  let watches: Watches | undefined;
  const watchesFor = (ctx: IntegrationContext) => watches ??= new Watches(ctx, res);
  return {
    name: res.integration,
    events: true,
    connectionVars: [...vars, JSON_KEY],

    mount(app, ctx) {
      const w = watchesFor(ctx);
      app.post(res.path, async (c) => {
        const h = c.req.raw.headers;
        const channelId = h.get("x-goog-channel-id") ?? "";
        const messageNumber = h.get("x-goog-message-number") ?? "";
        if (!channelId || !/^\d{1,20}$/.test(messageNumber)) {
          return c.json({ error: "missing X-Goog-Channel-ID or X-Goog-Message-Number" }, 400);
        }
        const out = await w.notified({
          channelId,
          messageNumber,
          token: h.get("x-goog-channel-token") ?? "",
          resourceState: h.get("x-goog-resource-state") ?? "",
        });
        return out.error ? c.json({ error: out.error }, out.status) : c.body(null, 200);
      });
    },

    async start(ctx) {
      const w = watchesFor(ctx);
      await w.reload();
      return w;
    },

    test(conn, _ctx, service) {
      const watch = service?.status?.(conn.id);
      if (!tokensOf(conn.vars)) {
        return Promise.resolve({
          status: "error",
          message: "no OAuth token: run `pounce connection init`",
        });
      }
      const bad = !watch || /failed|none/.test(watch);
      return Promise.resolve({
        status: bad ? "warning" : "ok",
        message: watch ?? "watch: not started",
      });
    },
  };
}

export const googlecalendar = channelSource(calendarEvents, [
  { name: "CalendarID", secret: false, description: "the calendar watched (e.g. primary)" },
]);
export const googledrive = channelSource(driveChanges);
