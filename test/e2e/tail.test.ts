// The WebSocket tail: live records before the session ends, the end of a session's stream,
// resuming from a position without gaps or duplicates, and the token.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, type TestDaemon } from "../helpers/daemon.ts";
import { deployGated, gateFor } from "../helpers/gate.ts";
import { isPrint, type Message, TailClient } from "../helpers/tail.ts";

// Prints a1..a5, waits at the gate, prints b1..b5.
const HANDLER = `import os
import urllib.request

def handle(event):
    for i in range(1, 6):
        print(f"a{i}")
    urllib.request.urlopen(os.environ["GATE_URL"]).read()
    for i in range(1, 6):
        print(f"b{i}")
`;

const token = (d: TestDaemon) => ({ token: d.token });

test("a session's tail gets prints while it runs, and ends with it", async (t) => {
  const d = await daemonFor(t);
  const gate = await gateFor(t);
  const hook = await deployGated(t, d, gate, "tails", HANDLER);
  const project = await TailClient.open(d.url, { ...token(d), project: "tails" });
  t.after(() => project.close());
  await project.waitFor((m) => m.op === "subscribed", "subscribed");

  assert.equal((await fetch(d.url + hook, { method: "POST" })).status, 202);
  const first = await project.waitFor(isPrint("a5"), "a5 on the project stream");
  const sessionId = first.session_id as string;

  const tail = await TailClient.open(d.url, { ...token(d), session: sessionId });
  const subscribed = await tail.waitFor((m) => m.op === "subscribed");
  assert.equal(subscribed.session_id, sessionId);
  assert.equal(subscribed.after, 0);
  await tail.waitFor(isPrint("a5"), "a5");
  // The handler is held at the gate: the prints came while the session runs.
  const { session } = await d.api<{ session: { state: string } }>(`/api/sessions/${sessionId}`);
  assert.equal(session.state, "running");
  assert.equal(tail.messages.some((m) => m.op === "end"), false);

  gate.open();
  const end = await tail.waitFor((m) => m.op === "end", "end");
  assert.equal(end.state, "completed");
  assert.deepEqual(await tail.closed, { code: 1000, reason: "session ended" });
  const texts = tail.records().filter((m) => m.type === "print").map((m) => m.data.text);
  assert.deepEqual(texts, ["a1", "a2", "a3", "a4", "a5", "b1", "b2", "b3", "b4", "b5"]);
  const last = tail.records().at(-1)!;
  assert.equal(last.type, "state");
  assert.equal(last.data.state, "completed");

  // A finished session's tail replays its records and ends at once.
  const again = await TailClient.open(d.url, { ...token(d), session: sessionId, types: "print" });
  assert.equal((await again.waitFor((m) => m.op === "end")).state, "completed");
  assert.equal(again.records().length, 10);
});

test("a reconnect from a position misses nothing and repeats nothing", async (t) => {
  const d = await daemonFor(t);
  const gate = await gateFor(t);
  const hook = await deployGated(t, d, gate, "tails", HANDLER);
  // Project stream, first connection: from now, over a message instead of the URL.
  const p1 = await TailClient.open(d.url, token(d));
  p1.send({ op: "subscribe", sub: "p", project: "tails" });
  const start = await p1.waitFor((m) => m.op === "subscribed");
  assert.equal(typeof start.after, "number");

  await fetch(d.url + hook, { method: "POST" });
  const a2 = await p1.waitFor(isPrint("a2"));
  const sessionId = a2.session_id as string;
  // Session stream, first connection: stop after a3.
  const s1 = await TailClient.open(d.url, { ...token(d), session: sessionId });
  await s1.waitFor(isPrint("a3"));
  s1.close();
  await s1.closed;
  p1.close();
  await p1.closed;
  const seen1 = upTo(s1.records(), "a3");
  const projectSeen1 = upTo(p1.records("p"), "a2");

  // Second connections resume while the session still waits at the gate: part replay,
  // part live.
  const s2 = await TailClient.open(d.url, {
    ...token(d),
    session: sessionId,
    after: String(seen1.at(-1)!.seq),
  });
  const p2 = await TailClient.open(d.url, token(d));
  p2.send({ op: "subscribe", sub: "p", project: "tails", after: projectSeen1.at(-1)!.cursor });
  await s2.waitFor(isPrint("a5"));
  await p2.waitFor(isPrint("a5"));
  gate.open();
  await s2.waitFor((m) => m.op === "end");
  await p2.waitFor((m) => m.op === "record" && m.type === "state" && m.data.state === "completed");
  p2.close();

  const { records } = await d.api<{ records: { seq: number }[] }>(
    `/api/sessions/${sessionId}/log`,
  );
  const all = records.map((r) => r.seq);
  assert.deepEqual([...seen1, ...s2.records()].map((m) => m.seq), all);
  const projectSeqs = [...projectSeen1, ...p2.records("p")].map((m) => m.seq);
  assert.deepEqual(projectSeqs, all);
  const cursors = [...projectSeen1, ...p2.records("p")].map((m) => m.cursor as number);
  assert.deepEqual(cursors, [...cursors].sort((a, b) => a - b));
  assert.equal(new Set(cursors).size, cursors.length);
});

test("the tail refuses a missing or wrong token and says what is wrong", async (t) => {
  const d = await daemonFor(t);
  await assert.rejects(TailClient.open(d.url, {}), { status: 401 });
  await assert.rejects(TailClient.open(d.url, { token: "nope" }), { status: 401 });
  await assert.rejects(
    TailClient.open(d.url, {}, { authorization: "Bearer nope" }),
    { status: 401 },
  );
  await assert.rejects(TailClient.open(d.url, { ...token(d), session: "x", after: "-1" }), {
    status: 400,
  });
  const byHeader = await TailClient.open(d.url, {}, { authorization: `Bearer ${d.token}` });
  byHeader.send({ op: "subscribe", sub: "s", session: "ses_00000000000000000000000000" });
  const err = await byHeader.waitFor((m) => m.op === "error");
  assert.equal(err.status, 404);
  assert.equal(err.sub, "s");
  byHeader.send({ op: "subscribe", sub: "p", project: "nope" });
  assert.equal((await byHeader.waitFor((m) => m.op === "error" && m.sub === "p")).status, 404);
  byHeader.send({ op: "dance" });
  assert.equal((await byHeader.waitFor((m) => m.op === "error" && !m.sub)).status, 400);
  byHeader.close();
});

function upTo(records: Message[], text: string): Message[] {
  const i = records.findIndex(isPrint(text));
  assert.ok(i >= 0, `no ${text} in ${JSON.stringify(records)}`);
  return records.slice(0, i + 1);
}
