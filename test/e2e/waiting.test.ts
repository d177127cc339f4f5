// Sessions that wait for events: the seed's meow/woof example, filters, timeouts, events
// that arrive before next_event, and a daemon restart between an event and its delivery.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { daemonFor, ROOT, sleep, webhookPath, writeProject } from "../helpers/daemon.ts";
import { waitFor } from "../helpers/fakes.ts";

async function waitForPrint(
  d: { prints(ref: string): Promise<string[]> },
  ref: string,
  text: string,
) {
  for (let i = 0; i < 400; i++) {
    if ((await d.prints(ref).catch((): string[] => [])).includes(text)) return;
    await sleep(50);
  }
  assert.fail(`no print "${text}" in ${ref}`);
}

test("the seed's meow/woof example: a session waits for a later webhook event", async (t) => {
  const d = await daemonFor(t);
  const out = await d.cli([
    "deploy",
    "--manifest",
    join(ROOT, "examples/meow_woof/autokitteh.yaml"),
  ]);
  assert.equal(out.code, 0, out.stderr);
  const meow = webhookPath(out.stdout, "meow");
  const woofs = webhookPath(out.stdout, "meow_webhook");
  assert.equal((await fetch(`${d.url}${meow}/meow`)).status, 202);
  await waitForPrint(d, "meow_woof", "Got a meow, waiting for a woof");
  // Neither a non-matching path nor a non-GET wakes it.
  await fetch(`${d.url}${woofs}/purr`);
  await fetch(`${d.url}${woofs}/woof`, { method: "POST" });
  await sleep(300);
  assert.equal(
    (await d.api<{ session: { state: string } }>("/api/sessions/meow_woof")).session.state,
    "running",
  );
  assert.equal((await fetch(`${d.url}${woofs}/woof?loud=1`)).status, 202);
  const s = await d.waitSession("meow_woof");
  assert.equal(s.state, "completed", s.error ?? "");
  const prints = await d.prints("meow_woof");
  assert.equal(prints.length, 2);
  assert.match(prints[1], /^Got a woof: \{'method': 'GET', .*'path_suffix': 'woof'/);
  assert.match(prints[1], /'query': \{'loud': '1'\}/);
});

const waiter = (body: string, durable = true) => ({
  "autokitteh.yaml": `version: ${durable ? "v1" : "v2"}
project:
  name: waiter
  triggers:
    - name: start
      webhook: {}
      event_type: post
      call: main.py:main
    - name: feed
      webhook: {}
`,
  "main.py": body,
});

test("next_event: events that arrive before the call are not lost; timeouts return None; full=True", async (t) => {
  const d = await daemonFor(t);
  const body = `import time
import autokitteh

def main(event):
    sub = autokitteh.subscribe("feed", "data.body.json.n > 1")
    print("subscribed")
    time.sleep(1)
    first = autokitteh.next_event(sub, timeout=5)
    print("first", first.body.json["n"])
    second = autokitteh.next_event([sub], timeout=5, full=True)
    print("second", second.event_type, second.data.body.json["n"])
    print("third", autokitteh.next_event(sub, timeout=0.3))
    autokitteh.unsubscribe(sub)
`;
  const out = await d.cli(["deploy", "--manifest", writeProject(t, waiter(body))]);
  assert.equal(out.code, 0, out.stderr);
  await fetch(d.url + webhookPath(out.stdout, "start"), { method: "POST" });
  await waitForPrint(d, "waiter", "subscribed");
  const feed = d.url + webhookPath(out.stdout, "feed");
  for (const n of [1, 2, 3]) await fetch(feed, { method: "PUT", body: JSON.stringify({ n }) });
  const s = await d.waitSession("waiter");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints("waiter"), [
    "subscribed",
    "first 2",
    "second put 3",
    "third None",
  ], (await d.cli(["session", "log", "waiter"])).stdout);
});

test("subscribe to an unknown source, or with a bad filter, raises a clear error", async (t) => {
  const d = await daemonFor(t);
  const body = `import autokitteh

def main(event):
    for source, f in [("nope", ""), ("feed", "data.x ==")]:
        try:
            autokitteh.subscribe(source, f)
        except autokitteh.AutoKittehError as err:
            print(str(err))
`;
  const out = await d.cli(["deploy", "--manifest", writeProject(t, waiter(body))]);
  await fetch(d.url + webhookPath(out.stdout, "start"), { method: "POST" });
  const s = await d.waitSession("waiter");
  assert.equal(s.state, "completed", s.error ?? "");
  const prints = await d.prints("waiter");
  assert.equal(prints[0], 'subscribe: subscribe(nope, ) -> source "nope" not found');
  assert.match(prints[1], /^subscribe: .*1:\d+/);
});

// A handler that subscribes to `feed`, says so, and prints the first event's body.
const WAITS_FOR_FEED = `import autokitteh

def main(event):
    sub = autokitteh.subscribe("feed")
    print("waiting")
    got = autokitteh.next_event(sub)
    print("got", got.body.text)
`;

// The dispatcher remembers a destination found without subscriptions (subscribers.ts): a
// subscription added later must be seen by the next event. `feed` is a sync webhook: its
// answer says whether the event woke a session.
test("an event to a source nobody subscribed to yet does not hide a later subscription", async (t) => {
  const d = await daemonFor(t);
  const project = waiter(WAITS_FOR_FEED);
  project["autokitteh.yaml"] = project["autokitteh.yaml"].replace(
    "    - name: feed\n      webhook: {}\n",
    "    - name: feed\n      webhook: {}\n      is_sync: true\n",
  );
  const out = await d.cli(["deploy", "--manifest", writeProject(t, project)]);
  assert.equal(out.code, 0, out.stderr);
  const feed = d.url + webhookPath(out.stdout, "feed");
  for (let i = 0; i < 3; i++) {
    const early = await fetch(feed, { method: "POST", body: "early" });
    assert.deepEqual(await early.json(), { error: "no session started or woken for this event" });
  }
  await fetch(d.url + webhookPath(out.stdout, "start"), { method: "POST" });
  await waitForPrint(d, "waiter", "waiting");
  const res = await fetch(feed, { method: "POST", body: "hello" });
  const answer = await res.json() as { error: string; session_id?: string };
  assert.match(answer.error, /^the session ended \(completed\) without an HTTP answer/);
  assert.ok(answer.session_id);
  const s = await d.waitSession("waiter");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints("waiter"), ["waiting", "got hello"]);
});

test("a daemon restart between an event and its delivery loses nothing", async (t) => {
  const d = await daemonFor(t);
  const out = await d.cli(["deploy", "--manifest", writeProject(t, waiter(WAITS_FOR_FEED))]);
  await fetch(d.url + webhookPath(out.stdout, "start"), { method: "POST" });
  await waitForPrint(d, "waiter", "waiting");
  await d.kill();
  await d.start();
  assert.equal(
    (await fetch(d.url + webhookPath(out.stdout, "feed"), { method: "POST", body: "hello" }))
      .status,
    202,
  );
  const s = await d.waitSession("waiter");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints("waiter"), ["waiting", "got hello"]);
});

test("many hibernated sessions each wait for their own key: an event wakes only its own", async (t) => {
  const d = await daemonFor(t, {}, ["--hibernate-after", "0.2"]);
  const body = `import autokitteh

def main(event):
    sub = autokitteh.subscribe("feed", event.data.body.json["filter"])
    got = autokitteh.next_event(sub)
    print("got", got.body.json["n"], got.body.json["key"])
`;
  const out = await d.cli(["deploy", "--manifest", writeProject(t, waiter(body))]);
  assert.equal(out.code, 0, out.stderr);
  // Guarded filters of each kind of literal, and filters that have no guard.
  const filters: [string, { n: unknown; key: string }][] = [
    ...Array.from({ length: 12 }, (_, k) =>
      [
        `data.body.json.n == ${k}`,
        { n: k, key: "x" },
      ] as [string, { n: unknown; key: string }]),
    ["data.body.json.n == 20.0", { n: 20, key: "x" }],
    ["data.body.json.n == 21 && data.body.json.key == 'k'", { n: 21, key: "k" }],
    ["data.body.json.key == 'only'", { n: 0.5, key: "only" }],
    ["event_type == 'put' && 22u == data.body.json.n", { n: 22, key: "x" }],
    ["data.body.json.n == null", { n: null, key: "x" }],
    ["data.body.json.n > 30 && data.body.json.n < 32", { n: 31, key: "x" }],
    ["data.body.json.n == 33 || data.body.json.n == 34", { n: 34, key: "x" }],
  ];
  const start = d.url + webhookPath(out.stdout, "start");
  const ids: string[] = [];
  for (const [filter] of filters) {
    const res = await fetch(start, { method: "POST", body: JSON.stringify({ filter }) });
    assert.equal(res.status, 202);
    const event = res.headers.get("autokitteh-event-id");
    const { sessions } = await d.api<{ sessions: { session_id: string }[] }>(
      `/api/sessions?project=waiter&event=${event}`,
    );
    assert.equal(sessions.length, 1);
    ids.push(sessions[0].session_id);
  }
  type S = { state: string; hibernated: boolean; error: string | null };
  const session = async (id: string) =>
    (await d.api<{ session: S }>(`/api/sessions/${id}`)).session;
  const hibernated = async () => {
    const all = await Promise.all(ids.map(session));
    return all.filter((s) => s.hibernated && s.state === "running").length;
  };
  for (let i = 0; (await hibernated()) < ids.length; i++) {
    if (i > 400) assert.fail("the sessions did not all hibernate");
    await sleep(50);
  }
  const feed = d.url + webhookPath(out.stdout, "feed");
  const put = (data: unknown) =>
    fetch(feed, { method: "PUT", body: JSON.stringify(data) }).then((r) => r.status);
  // Events no filter matches: a string for a number, a missing key, a POST.
  assert.equal(await put({ n: "3", key: "x" }), 202);
  assert.equal(await put({ key: "x" }), 202);
  assert.equal(await put({ n: 21, key: "other" }), 202);
  assert.equal(
    (await fetch(feed, { method: "POST", body: JSON.stringify({ n: 22, key: "x" }) })).status,
    202,
  );
  // Backwards, so that each session has earlier events to skip.
  for (let i = filters.length - 1; i >= 0; i--) {
    const [filter, data] = filters[i];
    assert.equal(await put(data), 202);
    const s = await d.waitSession(ids[i]);
    assert.equal(s.state, "completed", `${filter}: ${s.error}`);
    assert.deepEqual(await d.prints(ids[i]), [
      `got ${data.n === null ? "None" : data.n} ${data.key}`,
    ]);
    assert.equal(await hibernated(), i, `after ${filter}`);
  }
});

test("next_event finds its event behind more than a page of events that do not match", async (t) => {
  const d = await daemonFor(t);
  const body = `import autokitteh

def main(event):
    sub = autokitteh.subscribe("feed", "data.body.json.n == 1000")
    print("subscribed")
    got = autokitteh.next_event(sub)
    print("got", got.body.json["n"])
`;
  const out = await d.cli(["deploy", "--manifest", writeProject(t, waiter(body))]);
  await fetch(d.url + webhookPath(out.stdout, "start"), { method: "POST" });
  await waitForPrint(d, "waiter", "subscribed");
  const feed = d.url + webhookPath(out.stdout, "feed");
  // More than the 500 events one read of the scan takes.
  for (let n = 0; n < 620; n++) {
    const res = await fetch(feed, { method: "PUT", body: JSON.stringify({ n }) });
    assert.equal(res.status, 202);
  }
  await fetch(feed, { method: "PUT", body: JSON.stringify({ n: 1000 }) });
  const s = await d.waitSession("waiter");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints("waiter"), ["subscribed", "got 1000"]);
});

test("a session does not hibernate while a look is taking what it waits for", async (t) => {
  // Every look outlasts --hibernate-after: the look that finds the event journals it, so
  // the session must answer it, not hibernate with it taken (nothing would wake it again).
  const d = await daemonFor(t, { POUNCE_DELAY: "wait.look:600" }, ["--hibernate-after", "0.2"]);
  const body = `import autokitteh

def main(event):
    sub = autokitteh.subscribe("feed", "data.body.json.n == 7")
    got = autokitteh.next_event(sub)
    print("got", got.body.json["n"])
`;
  const out = await d.cli(["deploy", "--manifest", writeProject(t, waiter(body))]);
  assert.equal(out.code, 0, out.stderr);
  const start = await fetch(d.url + webhookPath(out.stdout, "start"), { method: "POST" });
  assert.equal(start.status, 202);
  const event = start.headers.get("autokitteh-event-id");
  const { sessions } = await d.api<{ sessions: { session_id: string }[] }>(
    `/api/sessions?project=waiter&event=${event}`,
  );
  const id = sessions[0].session_id;
  // Subscribed and hibernated: the event below wakes it, and its look takes the event.
  await waitFor(
    "the session to hibernate",
    async () =>
      (await d.api<{ session: { hibernated: boolean } }>(`/api/sessions/${id}`)).session.hibernated,
  );
  const feed = d.url + webhookPath(out.stdout, "feed");
  assert.equal((await fetch(feed, { method: "PUT", body: '{"n": 7}' })).status, 202);
  const s = await d.waitSession("waiter");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints("waiter"), ["got 7"]);
});

test("a waiting session shows what it waits for: session get, list and its log", async (t) => {
  const d = await daemonFor(t);
  const body = `import autokitteh

def main(event):
    sub = autokitteh.subscribe("feed", "data.body.json.n > 1")
    print("got", autokitteh.next_event(sub).body.json["n"])
    autokitteh.sleep(600)
`;
  const out = await d.cli(["deploy", "--manifest", writeProject(t, waiter(body))]);
  assert.equal(out.code, 0, out.stderr);
  await fetch(d.url + webhookPath(out.stdout, "start"), { method: "POST" });
  const waitingFor = async (pattern: RegExp) => {
    const got = await waitFor(`a wait matching ${pattern}`, async () => {
      const { session } = await d.api<{ session: { waiting: string | null } }>(
        "/api/sessions/waiter",
      );
      return pattern.test(session.waiting ?? "") && session.waiting;
    });
    return got as string;
  };
  const wait = await waitingFor(
    /^waiting for an event on `feed` \(filter data\.body\.json\.n > 1\)$/,
  );
  const [got, list] = await Promise.all([
    d.cli(["session", "get", "waiter"]),
    d.cli(["session", "list", "-p", "waiter"]),
  ]);
  assert.match(got.stdout, new RegExp(`^state: running \\(waiting: ${escape(wait)}\\)$`, "m"));
  assert.match(list.stdout, /state=running \(waiting: waiting for an event on `feed`/);

  await fetch(d.url + webhookPath(out.stdout, "feed"), { method: "POST", body: '{"n": 2}' });
  await waitingFor(/^sleeping until \d{4}-\d\d-\d\dT/);
  const log = await waitFor("both waits in the log", async () => {
    const res = await d.cli(["session", "log", "waiter", "-n"]);
    return /^wait +sleeping until /m.test(res.stdout) && res.stdout;
  });
  assert.match(
    log as string,
    /^wait +waiting for an event on `feed` \(filter [^)]+\)\n(?:state +running\n)?print +got 2\n/m,
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
