// Schedule triggers: cron at second granularity starts sessions with `tick` events,
// timezones, redeploys reschedule without duplicates, and a tick missed while the daemon
// was down fires once when it starts again.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { waitFor } from "../helpers/fakes.ts";
import { fileScope, type SessionJson, tempHome, TestDaemon } from "../helpers/daemon.ts";

const scope = fileScope();

let d: TestDaemon;

before(async () => {
  d = new TestDaemon(tempHome(scope));
  scope.after(() => d.kill());
  await d.start();
});

const handler = `def on_tick(event):
    print("tick", event.event_type, sorted(event.data.keys()), event.data.scheduled_at)
`;

type Trigger = {
  name: string;
  schedule?: string;
  timezone?: string;
  call?: string;
};

// Deploys through the API (the CLI's deploy is tested elsewhere): faster on a busy machine.
function deployRequest(name: string, triggers: Trigger[]): Promise<Response> {
  const lines = triggers.map((t) =>
    [
      `    - name: ${t.name}`,
      `      schedule: "${t.schedule}"`,
      t.timezone ? `      timezone: ${t.timezone}` : "",
      `      call: ${t.call ?? "main.py:on_tick"}`,
    ].filter(Boolean).join("\n")
  );
  const manifest = `version: v2
project:
  name: ${name}
  triggers:
${lines.join("\n")}
`;
  return fetch(`${d.url}/api/deploy`, {
    method: "POST",
    headers: { authorization: `Bearer ${d.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      manifest,
      files: { "main.py": Buffer.from(handler).toString("base64") },
    }),
  });
}

async function deploy(name: string, triggers: Trigger[]): Promise<void> {
  const res = await deployRequest(name, triggers);
  assert.equal(res.status, 200, await res.text());
}

async function deployError(name: string, triggers: Trigger[]): Promise<string> {
  const res = await deployRequest(name, triggers);
  assert.equal(res.status, 400);
  return ((await res.json()) as { error: string }).error;
}

type EventJson = {
  seq: number;
  event_type: string;
  destination_id: string;
  data: { scheduled_at: string };
};

async function ticks(project: string): Promise<EventJson[]> {
  const res = await d.api<{ events: EventJson[] }>(`/api/events?project=${project}&type=tick`);
  return res.events;
}

async function triggerIds(project: string): Promise<Record<string, string>> {
  const res = await d.api<{ triggers: { name: string; trigger_id: string }[] }>(
    `/api/triggers?project=${project}`,
  );
  return Object.fromEntries(res.triggers.map((t) => [t.name, t.trigger_id]));
}

function assertNoDuplicates(events: EventJson[]): void {
  const seen = new Set<string>();
  for (const e of events) {
    const key = `${e.destination_id} ${e.data.scheduled_at}`;
    assert.ok(!seen.has(key), `duplicate tick ${key}`);
    seen.add(key);
  }
}

test("a 6-field cron ticks every second and each tick starts a session", async () => {
  await deploy("every_second", [{ name: "each", schedule: "* * * * * *" }]);
  const sessions = await waitFor("two completed tick sessions", async () => {
    const res = await d.api<{ sessions: SessionJson[] }>("/api/sessions?project=every_second");
    const done = res.sessions.filter((s) => s.state === "completed");
    return done.length >= 2 && done;
  });
  const prints = await d.prints(sessions[0].session_id);
  assert.match(prints[0], /^tick tick \['scheduled_at'\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  const events = await ticks("every_second");
  const times = events.map((e) => Date.parse(e.data.scheduled_at));
  for (const t of times) assert.equal(t % 1000, 0, "ticks fall on whole seconds");
  assertNoDuplicates(events);
  // Stop it ticking for the other tests.
  await deploy("every_second", [{ name: "each", schedule: "@every 1h" }]);
});

test("timezones: next ticks are computed in the trigger's timezone", async () => {
  await deploy("zones", [
    { name: "tokyo", schedule: "0 9 * * *", timezone: "Asia/Tokyo" },
    { name: "kolkata", schedule: "30 9 * * *", timezone: "Asia/Kolkata" },
    { name: "utc", schedule: "0 9 * * *" },
  ]);
  const res = await d.api<{ triggers: { name: string; next_tick_at: string }[] }>(
    "/api/triggers?project=zones",
  );
  const next = Object.fromEntries(res.triggers.map((t) => [t.name, t.next_tick_at]));
  assert.match(next.tokyo, /T00:00:00\.000Z$/);
  assert.match(next.kolkata, /T04:00:00\.000Z$/);
  assert.match(next.utc, /T09:00:00\.000Z$/);
  assert.match(
    await deployError("zones", [
      { name: "mars", schedule: "0 9 * * *", timezone: "Mars/Olympus_Mons" },
    ]),
    /project\.triggers\[0\]\.timezone: "Mars\/Olympus_Mons" is not an IANA/,
  );
  assert.match(
    await deployError("zones", [{ name: "nonsense", schedule: "every tuesday" }]),
    /project\.triggers\[0\]\.schedule: invalid cron expression/,
  );
  assert.match(
    await deployError("zones", [{ name: "fast", schedule: "@every 10ms" }]),
    /project\.triggers\[0\]\.schedule: @every needs a duration of at least 1s/,
  );
});

test("redeploys reschedule changed triggers and drop deleted ones, without duplicates", async () => {
  await deploy("resched", [
    { name: "slow", schedule: "@every 1h" },
    { name: "fast", schedule: "* * * * * *" },
  ]);
  const ids = await triggerIds("resched");
  const ticksOf = async (name: string) =>
    (await ticks("resched")).filter((e) => e.destination_id === ids[name]);
  await waitFor("a tick of fast", async () => (await ticksOf("fast")).length >= 1);
  assert.equal((await ticksOf("slow")).length, 0);

  // "slow" becomes every second; "fast" is unchanged and keeps its timer.
  await deploy("resched", [
    { name: "slow", schedule: "*/1 * * * * *" },
    { name: "fast", schedule: "* * * * * *" },
  ]);
  await deploy("resched", [
    { name: "slow", schedule: "*/1 * * * * *" },
    { name: "fast", schedule: "* * * * * *" },
  ]);
  await waitFor("two ticks of slow", async () => (await ticksOf("slow")).length >= 2);

  // "fast" is deleted: no tick of it is stored after the deploy that deleted it.
  await deploy("resched", [{ name: "slow", schedule: "*/1 * * * * *" }]);
  const seqAtDelete = Math.max(...(await ticks("resched")).map((e) => e.seq));
  await waitFor(
    "two more ticks of slow",
    async () => (await ticksOf("slow")).filter((e) => e.seq > seqAtDelete).length >= 2,
  );
  assert.deepEqual((await ticksOf("fast")).filter((e) => e.seq > seqAtDelete), []);
  assertNoDuplicates(await ticks("resched"));
  await deploy("resched", [{ name: "slow", schedule: "@every 1h" }]);
});

test("a tick missed while the daemon was down fires once when it starts", async (t) => {
  // A tick a few seconds from now, on one given second.
  const due = new Date(Math.ceil(Date.now() / 1000) * 1000 + 8_000);
  const cron = [
    due.getUTCSeconds(),
    due.getUTCMinutes(),
    due.getUTCHours(),
    due.getUTCDate(),
    due.getUTCMonth() + 1,
    "*",
  ].join(" ");
  await deploy("missed", [{ name: "once", schedule: cron, timezone: "UTC" }]);
  await d.stop();
  if (Date.now() > due.getTime() - 500) {
    await d.start();
    return t.skip("the machine was too slow to stop the daemon before the tick");
  }
  await new Promise((r) => setTimeout(r, due.getTime() - Date.now() + 1000));
  await d.start();
  const [tick] = await waitFor("the missed tick", async () => {
    const events = await ticks("missed");
    return events.length > 0 && events;
  });
  assert.equal(tick.data.scheduled_at, due.toISOString());
  const session = await d.waitSession("missed");
  assert.equal(session.state, "completed", session.error ?? "");
  // A second restart does not fire it again.
  await d.stop();
  await d.start();
  await d.api("/api/triggers?project=missed");
  assert.equal((await ticks("missed")).length, 1);
});
