// Google Drive: a watch channel on the changes of the user's drives; a notification lists
// the changes since the connection's page token, each a file_created / file_updated /
// file_deleted whose data is Google's Change resource.
import { callGoogle, GoogleApiError } from "./api.ts";
import type { Change, WatchedResource } from "./resource.ts";

type ChangesPage = {
  changes?: Record<string, unknown>[];
  nextPageToken?: string;
  newStartPageToken?: string;
};

// As AutoKitteh lists them.
const LIST = {
  includeItemsFromAllDrives: "true",
  supportsAllDrives: "true",
  includeCorpusRemovals: "true",
};

// AutoKitteh's rule: removed is deleted, a file with a creation time is created, else
// updated.
export function driveEventType(c: Record<string, unknown>): string {
  if (c.removed) return "file_deleted";
  const file = c.file as { createdTime?: string } | undefined;
  return file?.createdTime ? "file_created" : "file_updated";
}

export const driveChanges: WatchedResource = {
  integration: "googledrive",
  path: "/googledrive/notif",
  // AutoKitteh asks for a day.
  lifetimeMs: 24 * 3600_000,
  stopPath: "/drive/v3/channels/stop",

  target: () => ({ target: "changes" }),

  async begin(token) {
    const r = await callGoogle<{ startPageToken?: string }>(
      token,
      "GET",
      "/drive/v3/changes/startPageToken",
      { supportsAllDrives: "true" },
    );
    if (!r.startPageToken) throw new Error("Google Drive answered without a start page token");
    return r.startPageToken;
  },

  watch(token, _target, cursor, channel) {
    return callGoogle(token, "POST", "/drive/v3/changes/watch", {
      pageToken: cursor,
      ...LIST,
    }, channel) as never;
  },

  async changes(token, _target, cursor) {
    const all: Record<string, unknown>[] = [];
    let pageToken = cursor;
    try {
      for (;;) {
        const page = await callGoogle<ChangesPage>(token, "GET", "/drive/v3/changes", {
          pageToken,
          ...LIST,
        });
        all.push(...page.changes ?? []);
        if (page.nextPageToken) {
          pageToken = page.nextPageToken;
          continue;
        }
        if (!page.newStartPageToken) {
          throw new Error("Google Drive answered without a new start page token");
        }
        const changes: Change[] = all.map((c) => ({
          eventType: driveEventType(c),
          data: c,
          identity: `${c.changeType}:${c.fileId ?? c.driveId}:${c.time}:${!!c.removed}`,
        }));
        return { changes, cursor: page.newStartPageToken };
      }
    } catch (err) {
      if (err instanceof GoogleApiError && err.status === 410) return undefined;
      throw err;
    }
  },
};
