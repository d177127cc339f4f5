// Google push-notification sources: Calendar and Drive keep one watch channel per
// connection (watches.ts); Forms and Gmail one Pub/Sub watch (pubsub-watches.ts), whose
// pushes carry a Google-signed token (push-auth.ts).
import type { Context } from "hono";
import { log } from "../../core/util/log.ts";
import { tokensOf } from "../oauth/tokens.ts";
import { readUnverified } from "../unverified-body.ts";
import type { Integration, IntegrationContext, Service } from "../types.ts";
import { calendarEvents } from "./calendar.ts";
import { driveChanges } from "./drive.ts";
import { formsWatches } from "./forms.ts";
import { gmailWatch } from "./gmail.ts";
import { type LeasedWatches, NO_TOKEN } from "./leased-watches.ts";
import { parsePush } from "./pubsub.ts";
import { type PubSubResource, PubSubWatches } from "./pubsub-watches.ts";
import { verifyPush } from "./push-auth.ts";
import type { WatchedResource } from "./resource.ts";
import { Watches } from "./watches.ts";

const JSON_KEY = {
  name: "JSON",
  secret: true,
  description: "Google Cloud service-account key (JSON; API calls only, no watch)",
};

type Vars = NonNullable<Integration["connectionVars"]>;

// A source whose service is one set of leased watches, made on first use; `receive`
// answers what Google posts to the source's path.
function watchSource<W extends LeasedWatches<unknown>>(
  res: { integration: string; path: string },
  vars: Vars,
  make: (ctx: IntegrationContext) => W,
  receive: (w: W, c: Context) => Promise<Response>,
): Integration {
  let watches: W | undefined;
  const watchesFor = (ctx: IntegrationContext) => watches ??= make(ctx);
  return {
    name: res.integration,
    events: true,
    connectionVars: [...vars, JSON_KEY],

    mount(app, ctx) {
      const w = watchesFor(ctx);
      app.post(res.path, (c) => receive(w, c));
    },

    async start(ctx) {
      const w = watchesFor(ctx);
      await w.reload();
      return w;
    },

    test: testWatch,
  };
}

function channelSource(res: WatchedResource, vars: Vars = []): Integration {
  return watchSource(res, vars, (ctx) => new Watches(ctx, res), async (w, c) => {
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
}

const testWatch: Integration["test"] = (conn, _ctx, service?: Service) => {
  const watch = service?.status?.(conn.id);
  if (!tokensOf(conn.vars)) {
    return Promise.resolve({ status: "error", message: NO_TOKEN });
  }
  const bad = !watch || /failed|none/.test(watch);
  return Promise.resolve({
    status: bad ? "warning" : "ok",
    message: watch ?? "watch: not started",
  });
};

const MAX_PUSH_BYTES = 1 << 20;

// Pushes are refused before anything is read from them unless their token verifies.
function pubSubSource<W>(res: PubSubResource<W>, vars: Vars = []): Integration {
  return watchSource(res, vars, (ctx) => new PubSubWatches(ctx, res), async (w, c) => {
    const auth = await verifyPush(c.req.header("authorization"), w.address());
    if (!auth.ok) {
      log.warn(`${res.integration}: push refused`, { error: auth.error });
      return c.json({ error: auth.error }, auth.status);
    }
    // Forms' and Gmail's notices are small; Pub/Sub's own limit is 10 MB.
    const read = await readUnverified(c.req.raw, MAX_PUSH_BYTES, (b) => ({ text: b.text() }));
    if ("status" in read) return c.json({ error: read.error }, read.status, read.headers);
    const msg = parsePush(c.req.raw.headers, read.text);
    if ("error" in msg) return c.json({ error: msg.error }, 400);
    const out = await w.pushed(msg);
    return out.error ? c.json({ error: out.error }, out.status) : c.body(null, 200);
  });
}

export const googlecalendar = channelSource(calendarEvents, [
  { name: "CalendarID", secret: false, description: "the calendar watched (e.g. primary)" },
]);
export const googledrive = channelSource(driveChanges);
export const googleforms = pubSubSource(formsWatches, [
  { name: "FormID", secret: false, description: "the form watched (its id)" },
]);
export const gmail = pubSubSource(gmailWatch);
