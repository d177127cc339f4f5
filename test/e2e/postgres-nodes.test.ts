// Two daemons on one PostgreSQL database: an event that reaches one node wakes a session
// waiting on the other at once (LISTEN/NOTIFY; waiters look again unasked only every 30 s
// there). Config changed through one node reaching the other is scale-out.test.ts's, which
// the e2e pass on PostgreSQL runs there. Runs whenever the test PostgreSQL server answers
// (test/helpers/pg.ts), else is skipped, saying so.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test, type TestContext } from "node:test";
import { sleep, tempHome, TestDaemon, webhookPath, writeProject } from "../helpers/daemon.ts";
import { dropDatabase, freshDatabase, PG_SERVER, reachable } from "../helpers/pg.ts";

const skip = await reachable(PG_SERVER)
  ? false
  : "no PostgreSQL server for tests (set POUNCE_TEST_PG; see test/helpers/pg.ts)";

async function twoNodes(t: TestContext, extra: string[] = []): Promise<[TestDaemon, TestDaemon]> {
  const url = await freshDatabase(PG_SERVER);
  const env = { POUNCE_SECRET_KEY: randomBytes(32).toString("hex"), POUNCE_DB: url };
  const a = new TestDaemon(tempHome(t), env);
  const b = new TestDaemon(tempHome(t), env);
  t.after(async () => {
    await Promise.all([a.kill(), b.kill()]);
    await dropDatabase(url);
  });
  await a.start(extra);
  await b.start(extra);
  return [a, b];
}

async function waitForPrint(d: TestDaemon, ref: string, text: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await d.prints(ref).catch((): string[] => [])).includes(text)) return;
    await sleep(50);
  }
  assert.fail(`no print "${text}" in ${ref}`);
}

// A session that subscribes to `feed` and prints the first event's `n`.
const WAITER = {
  "autokitteh.yaml": `version: v1
project:
  name: waiter
  triggers:
    - name: start
      webhook: {}
      call: main.py:main
    - name: feed
      webhook: {}
`,
  "main.py": `import autokitteh

def main(event):
    sub = autokitteh.subscribe("feed")
    print("subscribed")
    got = autokitteh.next_event(sub, timeout=120)
    print("got", got.body.json["n"])
`,
};

test("an event on one node wakes a session waiting on the other at once", { skip }, async (t) => {
  const [a, b] = await twoNodes(t, ["--hibernate-after", "off"]);
  const project = writeProject(t, WAITER);
  const deployed = await a.cli(["deploy", "--manifest", project]);
  assert.equal(deployed.code, 0, deployed.stderr);
  assert.equal((await fetch(a.url + webhookPath(deployed.stdout, "start"))).status, 202);
  await waitForPrint(a, "waiter", "subscribed");
  // Let A's waiter go idle on its 30 s re-check before B stores the event.
  await sleep(500);
  const sent = Date.now();
  const feed = b.url + webhookPath(deployed.stdout, "feed");
  assert.equal((await fetch(feed, { method: "PUT", body: '{"n": 7}' })).status, 202);
  const s = await a.waitSession("waiter", 60_000);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await a.prints("waiter"), ["subscribed", "got 7"]);
  // Woken by B's notification, not by A looking again 30 s later.
  assert.ok(Date.now() - sent < 15_000, `woken after ${Date.now() - sent} ms`);
});

// A node remembers the sources it found without subscriptions (src/core/triggers/
// subscribers.ts): a subscription made on another node must still be seen by its next
// event, which then wakes the session at once, as above.
test("an event to a source nobody subscribed to does not hide another node's later subscription", {
  skip,
}, async (t) => {
  const [a, b] = await twoNodes(t, ["--hibernate-after", "off"]);
  const project = writeProject(t, WAITER);
  const deployed = await a.cli(["deploy", "--manifest", project]);
  assert.equal(deployed.code, 0, deployed.stderr);
  const feed = b.url + webhookPath(deployed.stdout, "feed");
  const post = async (n: number) =>
    (await fetch(feed, { method: "PUT", body: `{"n": ${n}}` })).status;
  // Nobody waits for these: B finds no subscription for `feed`.
  for (let n = 0; n < 3; n++) assert.equal(await post(n), 202);
  assert.equal((await fetch(a.url + webhookPath(deployed.stdout, "start"))).status, 202);
  await waitForPrint(a, "waiter", "subscribed");
  await sleep(500);
  const sent = Date.now();
  assert.equal(await post(7), 202);
  const s = await a.waitSession("waiter", 60_000);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await a.prints("waiter"), ["subscribed", "got 7"]);
  assert.ok(Date.now() - sent < 15_000, `woken after ${Date.now() - sent} ms`);
});
