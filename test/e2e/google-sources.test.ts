// Google Calendar and Drive push notifications: the daemon opens a watch channel per
// connection with OAuth tokens, lists the changes a notification announces from its sync
// token, and starts sessions with AutoKitteh's event types and data; a wrong channel
// token, an unknown channel and a replayed message number start nothing; channels are
// renewed before they expire and reused after a crash. Google is a fake on 127.0.0.1.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import {
  FakeGoogleApi,
  GOOGLE_ACCESS_TOKEN as ACCESS,
  type GoogleCall,
  type GoogleReply,
} from "../helpers/fake-google.ts";
import { waitFor } from "../helpers/fakes.ts";
import { projectReads } from "../helpers/project-reads.ts";
import { fileScope, sleep, tempHome, TestDaemon, writeProject } from "../helpers/daemon.ts";

type Watch = {
  kind: "calendar" | "drive";
  id: string;
  token: string;
  address: string;
  type: string;
  resourceId: string;
  expiration: number;
  messages: number;
};

// Calendar events and Drive changes, each list versioned: a sync or page token is the
// length of the list when it was handed out.
class FakeGoogle extends FakeGoogleApi {
  readonly watches: Watch[] = [];
  readonly stops: { id: string; resourceId: string }[] = [];
  readonly events: Record<string, unknown>[] = [];
  readonly changes: Record<string, unknown>[] = [];
  // Channel lifetimes granted, per kind.
  lifetimeMs = { calendar: 3600_000, drive: 6_000 };

  protected route({ path: p, query: q, body }: GoogleCall): GoogleReply | undefined {
    if (p === "/calendar/v3/calendars/primary/events/watch") {
      return [200, this.watch("calendar", body)];
    }
    if (p === "/drive/v3/changes/watch") {
      assert.equal(q.get("supportsAllDrives"), "true");
      assert.match(q.get("pageToken") ?? "", /^\d+$/);
      return [200, this.watch("drive", body)];
    }
    if (p === "/calendar/v3/channels/stop" || p === "/drive/v3/channels/stop") {
      this.stops.push(body as { id: string; resourceId: string });
      return [204, {}];
    }
    if (p === "/calendar/v3/calendars/primary/events") {
      const sync = q.get("syncToken");
      if (sync === null) return [200, { items: [], nextSyncToken: String(this.events.length) }];
      if (!/^\d+$/.test(sync)) {
        return [410, { error: { code: 410, message: "Sync token is no longer valid" } }];
      }
      return [200, {
        items: this.events.slice(Number(sync)),
        nextSyncToken: String(this.events.length),
      }];
    }
    if (p === "/drive/v3/changes/startPageToken") {
      return [200, { startPageToken: String(this.changes.length) }];
    }
    if (p === "/drive/v3/changes") {
      return [200, {
        changes: this.changes.slice(Number(q.get("pageToken"))),
        newStartPageToken: String(this.changes.length),
      }];
    }
  }

  private watch(kind: Watch["kind"], body: unknown): Record<string, unknown> {
    const b = body as Record<string, string>;
    const w: Watch = {
      kind,
      id: b.id,
      token: b.token,
      address: b.address,
      type: b.type,
      resourceId: `res-${this.watches.length + 1}`,
      expiration: Date.now() + this.lifetimeMs[kind],
      messages: 0,
    };
    this.watches.push(w);
    return {
      kind: "api#channel",
      id: w.id,
      resourceId: w.resourceId,
      resourceUri: "https://www.googleapis.com/fake",
      expiration: String(w.expiration),
    };
  }

  of(kind: Watch["kind"]): Watch[] {
    return this.watches.filter((w) => w.kind === kind);
  }

  latest(kind: Watch["kind"]): Watch {
    const all = this.of(kind);
    assert.ok(all.length, `no ${kind} watch`);
    return all[all.length - 1];
  }

  // What Google posts to a channel's address (to `base` instead of its host, when given).
  async notify(
    w: Watch,
    base: string,
    opts: { state?: string; token?: string; number?: number } = {},
  ): Promise<number> {
    const number = opts.number ?? ++w.messages;
    const res = await fetch(base + new URL(w.address).pathname, {
      method: "POST",
      headers: {
        "x-goog-channel-id": w.id,
        "x-goog-channel-token": opts.token ?? w.token,
        "x-goog-channel-expiration": new Date(w.expiration).toUTCString(),
        "x-goog-resource-id": w.resourceId,
        "x-goog-resource-state": opts.state ?? "exists",
        "x-goog-resource-uri": "https://www.googleapis.com/fake",
        "x-goog-message-number": String(number),
      },
    });
    await res.body?.cancel();
    return res.status;
  }
}

const scope = fileScope();
let d: TestDaemon;
let google: FakeGoogle;

const handler = `def on_created(event):
    data = event.data
    print("created", event.event_type, data.id, data.summary, data.start["dateTime"])


def on_file(event):
    print("file", event.event_type, event.data.fileId, event.data.file["name"])
`;

const manifest = `version: v2
project:
  name: goog
  connections:
    - name: cal
      integration: googlecalendar
      vars:
        - name: CalendarID
          value: primary
    - name: drv
      integration: googledrive
  triggers:
    - name: standup
      connection: cal
      event_type: event_created
      filter: data.summary == "standup"
      call: main.py:on_created
    - name: files
      connection: drv
      event_type: file_updated
      call: main.py:on_file
`;

const { sessions, events, finished, status } = projectReads(() => d);
const eventCount = async () => (await events("goog")).length;

before(async () => {
  google = await new FakeGoogle().start();
  scope.after(() => google.close());
  d = new TestDaemon(tempHome(scope), { POUNCE_GOOGLE_API_URL: google.url });
  scope.after(() => d.kill());
  await d.start(["--log-level", "debug"]);
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(scope, { "autokitteh.yaml": manifest, "main.py": handler }),
  ]);
  assert.equal(out.code, 0, out.stderr);
});

test("no watch before the connection has OAuth tokens; one once it has", async () => {
  await sleep(300);
  assert.equal(google.watches.length, 0);
  assert.match(await status("goog/cal"), /^watch: none: no OAuth token/);
  for (const c of ["goog/cal", "goog/drv"]) {
    const set = await d.cli(["connection", "set", c, `oauth_AccessToken=${ACCESS}`]);
    assert.equal(set.code, 0, set.stderr);
  }
  const w = await waitFor("a calendar watch", () => google.of("calendar")[0]);
  assert.equal(w.type, "web_hook");
  assert.equal(w.address, `${d.url}/googlecalendar/notif`);
  assert.match(w.id, /^con_\w+\//);
  assert.ok(w.token.length >= 32, "a random channel token");
  await waitFor("status shows the channel", async () => (await status("goog/cal")).includes(w.id));
  assert.deepEqual(google.unauthorized, []);
});

test("a notification lists the changes and starts a session with AutoKitteh's shape", async () => {
  const w = google.latest("calendar");
  assert.equal(await google.notify(w, d.url, { state: "sync" }), 200);
  google.events.push({
    kind: "calendar#event",
    id: "evt1",
    status: "confirmed",
    summary: "standup",
    sequence: 0,
    start: { dateTime: "2026-12-08T09:00:00Z" },
    end: { dateTime: "2026-12-08T09:15:00Z" },
  });
  google.events.push({ id: "evt2", status: "confirmed", summary: "lunch", sequence: 0 });
  assert.equal(await google.notify(w, d.url), 200);
  assert.deepEqual(await finished("goog", "main.py:on_created", 1), [
    "created event_created evt1 standup 2026-12-08T09:00:00Z",
  ]);
  // Both were stored as events; the filter let one through.
  assert.equal(await eventCount(), 2);
  google.events.push({ id: "evt1", status: "cancelled", summary: "standup", sequence: 1 });
  assert.equal(await google.notify(w, d.url), 200);
  await waitFor("the deletion stored", async () => (await eventCount()) === 3);
  const { events } = await d.api<{ events: { event_type: string }[] }>(`/api/events?project=goog`);
  assert.ok(events.some((e) => e.event_type === "event_deleted"));
});

test("a wrong channel token, an unknown channel and a replayed number start nothing", async () => {
  const w = google.latest("calendar");
  google.events.push({
    id: "evt3",
    status: "confirmed",
    summary: "standup",
    sequence: 0,
    start: { dateTime: "2026-12-08T10:00:00Z" },
  });
  const before = await eventCount();
  assert.equal(await google.notify(w, d.url, { token: "forged-token" }), 403);
  assert.equal(await google.notify({ ...w, id: `${w.id.split("/")[0]}/nope` }, d.url), 404);
  assert.equal(await google.notify({ ...w, id: "con_nothere/x" }, d.url), 404);
  assert.equal(await google.notify(w, d.url, { number: 2 }), 409, "message 2 was taken");
  await sleep(300);
  assert.equal(await eventCount(), before);
  assert.equal((await sessions("goog", "main.py:on_created")).length, 1);
  // The genuine next message delivers evt3.
  assert.equal(await google.notify(w, d.url), 200);
  await finished("goog", "main.py:on_created", 2);
});

test("Drive: a change is a file_updated event; the channel is renewed before it expires", async () => {
  await waitFor("a drive watch", () => google.of("drive")[0]);
  const first = google.latest("drive");
  google.changes.push({
    kind: "drive#change",
    changeType: "file",
    time: "2026-12-07T09:00:00.000Z",
    removed: false,
    fileId: "f1",
    file: { kind: "drive#file", id: "f1", name: "notes.txt", mimeType: "text/plain" },
  });
  assert.equal(await google.notify(first, d.url), 200);
  assert.deepEqual(await finished("goog", "main.py:on_file", 1), [
    "file file_updated f1 notes.txt",
  ]);
  // 6 s channels: renewed at half life, the old one stopped.
  const next = await waitFor(
    "a renewed drive watch",
    () => google.latest("drive") !== first && google.latest("drive"),
  );
  assert.notEqual(next.id, first.id);
  assert.notEqual(next.token, first.token);
  await waitFor("the old channel stopped", () => google.stops.some((s) => s.id === first.id));
  google.changes.push({
    changeType: "file",
    time: "2026-12-07T09:01:00.000Z",
    removed: false,
    fileId: "f2",
    file: { id: "f2", name: "plan.txt" },
  });
  assert.equal(await google.notify(next, d.url), 200);
  assert.deepEqual(await finished("goog", "main.py:on_file", 2), ["file file_updated f2 plan.txt"]);
});

test("after kill -9 the stored channel is reused and notifications still work", async () => {
  const w = google.latest("calendar");
  const count = google.of("calendar").length;
  await d.kill();
  await d.start();
  await waitFor(
    "status shows the same channel",
    async () => (await status("goog/cal")).includes(w.id),
  );
  assert.equal(google.of("calendar").length, count, "no new calendar watch");
  google.events.push({
    id: "evt4",
    status: "confirmed",
    summary: "standup",
    sequence: 0,
    start: { dateTime: "2026-12-09T09:00:00Z" },
  });
  assert.equal(await google.notify(w, d.url), 200);
  assert.deepEqual(await finished("goog", "main.py:on_created", 3), [
    "created event_created evt4 standup 2026-12-09T09:00:00Z",
  ]);
  // A message number seen before the crash is still refused.
  assert.equal(await google.notify(w, d.url, { number: 1 }), 409);
});

test("removing the connection stops its channel", async () => {
  const w = google.latest("calendar");
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(scope, {
      "autokitteh.yaml": manifest.replace(/ {4}- name: cal\n[\s\S]*?value: primary\n/, "")
        .replace(/ {4}- name: standup\n[\s\S]*?on_created\n/, ""),
      "main.py": handler,
    }),
  ]);
  assert.equal(out.code, 0, out.stderr);
  await waitFor("the calendar channel stopped", () => google.stops.some((s) => s.id === w.id));
  assert.equal(await google.notify(w, d.url), 404);
});
