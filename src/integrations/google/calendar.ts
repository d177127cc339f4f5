// Google Calendar: a watch channel on the connection's calendar (its CalendarID var, as in
// AutoKitteh: none set, nothing watched); a notification lists the events changed since
// the connection's sync token, each an event_created / event_updated / event_deleted
// whose data is Google's Event resource.
import { callGoogle, GoogleApiError } from "./api.ts";
import type { Change, WatchedResource } from "./resource.ts";

type EventsPage = {
  items?: Record<string, unknown>[];
  nextPageToken?: string;
  nextSyncToken?: string;
};

const eventsPath = (calendarId: string) =>
  `/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events`;

// AutoKitteh's rule: cancelled is deleted, sequence 0 is created, else updated.
export function calendarEventType(e: Record<string, unknown>): string {
  if (e.status === "cancelled") return "event_deleted";
  return !e.sequence ? "event_created" : "event_updated";
}

// Every page of a listing; the sync token of its last page.
async function listAll(
  token: string,
  calendarId: string,
  query: Record<string, string>,
): Promise<{ items: Record<string, unknown>[]; syncToken: string }> {
  const items: Record<string, unknown>[] = [];
  let pageToken: string | undefined;
  for (;;) {
    const page = await callGoogle<EventsPage>(token, "GET", eventsPath(calendarId), {
      singleEvents: "true",
      showHiddenInvitations: "true",
      ...query,
      pageToken,
    });
    items.push(...page.items ?? []);
    if (page.nextPageToken) {
      pageToken = page.nextPageToken;
      continue;
    }
    if (!page.nextSyncToken) throw new Error("Google Calendar answered without a sync token");
    return { items, syncToken: page.nextSyncToken };
  }
}

export const calendarEvents: WatchedResource = {
  integration: "googlecalendar",
  path: "/googlecalendar/notif",
  lifetimeMs: 7 * 24 * 3600_000,
  stopPath: "/calendar/v3/channels/stop",

  target(vars) {
    const id = vars.CalendarID?.trim();
    return id ? { target: id } : { problem: "no CalendarID var: no calendar is watched" };
  },

  async begin(token, calendarId) {
    const { syncToken } = await listAll(token, calendarId, {
      timeMin: new Date().toISOString(),
    });
    return syncToken;
  },

  watch(token, calendarId, _cursor, channel) {
    return callGoogle(token, "POST", `${eventsPath(calendarId)}/watch`, {}, channel) as never;
  },

  async changes(token, calendarId, cursor) {
    try {
      const { items, syncToken } = await listAll(token, calendarId, { syncToken: cursor });
      const changes: Change[] = items.map((e) => ({
        eventType: calendarEventType(e),
        data: e,
        identity: `${e.id}:${e.etag ?? e.updated}:${e.status}`,
      }));
      return { changes, cursor: syncToken };
    } catch (err) {
      if (err instanceof GoogleApiError && err.status === 410) return undefined;
      throw err;
    }
  },
};
