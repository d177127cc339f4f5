// Sessions talking to each other and sharing state: signals, child sessions, the store,
// outcomes answering synchronous webhooks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, webhookPath, writeProject } from "../helpers/daemon.ts";

const manifest = (triggers: string) =>
  `version: v1
project:
  name: talk
  triggers:
${triggers}`;

const hook = (name: string, call: string, extra = "") =>
  `    - name: ${name}
      webhook: {}
      call: ${call}
${extra}`;

test("ping-pong between two sessions with signals, and a child's completion signal", async (t) => {
  const d = await daemonFor(t);
  const code = `import autokitteh

def main(event):
    child = autokitteh.start("main.py:ponger", {"rounds": 3})
    for i in range(3):
        autokitteh.signal(child, "ping", {"i": i})
        sig = autokitteh.next_signal("pong", timeout=10)
        print("parent got", sig.name, sig.payload["i"])
    done = autokitteh.next_signal(child, timeout=10)
    print("child finished", done.payload.completed, done.payload.value)
    print("nothing", autokitteh.next_signal("pong", timeout=0.2))

def ponger(event):
    parent = event.data["parent"] if "parent" in event.data else None
    for _ in range(event.data["rounds"]):
        sig = autokitteh.next_signal(["ping"], timeout=10)
        print("child got", sig.payload["i"])
        autokitteh.signal(autokitteh_parent(), "pong", {"i": sig.payload["i"] * 10})
    return {"rounds": event.data["rounds"]}

def autokitteh_parent():
    import os
    return os.environ["POUNCE_PARENT"] if "POUNCE_PARENT" in os.environ else _parent[0]

_parent = []
`;
  // The child learns its parent from the memo-less API: the parent sends its id first.
  const fixed = code.replace(
    'child = autokitteh.start("main.py:ponger", {"rounds": 3})',
    'child = autokitteh.start("main.py:ponger", {"rounds": 3, "parent": event.session_id})',
  ).replace("autokitteh_parent()", 'event.data["parent"]');
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, { "autokitteh.yaml": manifest(hook("go", "main.py:main")), "main.py": fixed }),
  ]);
  assert.equal(out.code, 0, out.stderr);
  await fetch(d.url + webhookPath(out.stdout, "go"), { method: "POST" });
  const { sessions } = await d.api<
    { sessions: { session_id: string; parent_session_id: string | null }[] }
  >("/api/sessions?project=talk");
  const parent = sessions.find((s) => !s.parent_session_id)!;
  const s = await d.waitSession(parent.session_id);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints(parent.session_id), [
    "parent got pong 0",
    "parent got pong 10",
    "parent got pong 20",
    "child finished True {'rounds': 3}",
    "nothing None",
  ]);
  const { sessions: all } = await d.api<
    { sessions: { session_id: string; parent_session_id: string | null; state: string }[] }
  >("/api/sessions?project=talk");
  const child = all.find((x) => x.parent_session_id === parent.session_id)!;
  assert.equal(child.state, "completed");
  assert.deepEqual(await d.prints(child.session_id), ["child got 0", "child got 1", "child got 2"]);
});

test("store operations from 20 concurrent sessions give exact totals; publish and unpublish", async (t) => {
  const d = await daemonFor(t);
  const code = `import autokitteh

def bump(event):
    for _ in range(5):
        autokitteh.add_values("counter", 1)
    autokitteh.mutate_value("big", "add", 2**70)
    while True:
        cur = autokitteh.get_value("list") or []
        if autokitteh.check_and_set_value("list", cur or None, cur + [1]):
            break

def report(event):
    print("counter", autokitteh.get_value("counter"))
    print("big", autokitteh.get_value("big") == 20 * 2**70)
    print("list", len(autokitteh.get_value("list")))
    autokitteh.store["mapping"] = {"a": [1, 2]}
    print("keys", autokitteh.list_values_keys())
    print("mapping", autokitteh.store["mapping"])
    autokitteh.publish_value("counter")
    print("url", autokitteh.get_store_public_url())
`;
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, {
      "autokitteh.yaml": manifest(hook("bump", "main.py:bump") + hook("report", "main.py:report")),
      "main.py": code,
    }),
  ]);
  assert.equal(out.code, 0, out.stderr);
  const bump = d.url + webhookPath(out.stdout, "bump");
  await Promise.all(Array.from({ length: 20 }, () => fetch(bump, { method: "POST" })));
  for (;;) {
    const { sessions } = await d.api<{ sessions: { state: string; error: string | null }[] }>(
      "/api/sessions?project=talk&limit=100",
    );
    const errors = sessions.filter((s) => s.state === "error");
    assert.deepEqual(errors, []);
    if (sessions.length === 20 && sessions.every((s) => s.state === "completed")) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await fetch(d.url + webhookPath(out.stdout, "report"), { method: "POST" });
  const s = await d.waitSession("talk");
  assert.equal(s.state, "completed", s.error ?? "");
  const prints = await d.prints("talk");
  assert.deepEqual(prints.slice(0, 5), [
    "counter 100",
    "big True",
    "list 20",
    "keys ['big', 'counter', 'list', 'mapping']",
    "mapping {'a': [1, 2]}",
  ]);
  const url = prints[5].replace(/^url /, "");
  assert.equal(await (await fetch(`${url}/counter`)).json(), 100);
  assert.equal((await fetch(`${url}/list`)).status, 404);

  const unpublish = `import autokitteh

def report(event):
    autokitteh.unpublish_value("counter")
`;
  const again = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, {
      "autokitteh.yaml": manifest(hook("report", "main.py:report")),
      "main.py": unpublish,
    }),
  ]);
  assert.equal(again.code, 0, again.stderr);
  await fetch(d.url + webhookPath(again.stdout, "report"), { method: "POST" });
  assert.equal((await d.waitSession("talk")).state, "completed");
  assert.equal((await fetch(`${url}/counter`)).status, 404);
});

test("sync webhooks answer with the first outcome, stream more, 502 when nothing starts, 504 on timeout", async (t) => {
  const d = await daemonFor(t, {}, ["--sync-timeout", "2"]);
  const code = `import autokitteh

def answer(event):
    autokitteh.http_outcome(201, json={"hello": event.data.body.json["name"]}, headers={"X-Pounce": "yes"})

def stream(event):
    autokitteh.http_outcome(200, body="one,", more=True)
    autokitteh.http_outcome(body="two,", more=True)
    autokitteh.http_outcome(body="three")

def silent(event):
    pass

def slow(event):
    import time
    time.sleep(5)
`;
  const sync = "      is_sync: true\n";
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, {
      "autokitteh.yaml": manifest(
        hook("answer", "main.py:answer", sync) + hook("stream", "main.py:stream", sync) +
          hook("silent", "main.py:silent", sync) + hook("slow", "main.py:slow", sync) +
          "    - name: filtered\n      webhook: {}\n      call: main.py:answer\n      is_sync: true\n      filter: \"data.method == 'DELETE'\"\n",
      ),
      "main.py": code,
    }),
  ]);
  assert.equal(out.code, 0, out.stderr);
  const answer = await fetch(d.url + webhookPath(out.stdout, "answer"), {
    method: "POST",
    body: JSON.stringify({ name: "joe" }),
  });
  assert.equal(answer.status, 201);
  assert.equal(answer.headers.get("x-pounce"), "yes");
  assert.equal(answer.headers.get("content-type"), "application/json");
  assert.deepEqual(await answer.json(), { hello: "joe" });

  const stream = await fetch(d.url + webhookPath(out.stdout, "stream"), { method: "POST" });
  assert.equal(stream.status, 200);
  assert.equal(await stream.text(), "one,two,three");

  assert.equal(
    (await fetch(d.url + webhookPath(out.stdout, "filtered"), { method: "POST" })).status,
    502,
  );
  // A session that ends without answering: 502 at once, not 504 at the timeout.
  const silent = await fetch(d.url + webhookPath(out.stdout, "silent"), { method: "POST" });
  assert.equal(silent.status, 502);
  assert.match(
    (await silent.json() as { error: string }).error,
    /ended \(completed\) without an HTTP answer/,
  );
  assert.equal(
    (await fetch(d.url + webhookPath(out.stdout, "slow"), { method: "POST" })).status,
    504,
  );
});

test("a sync webhook's session that answers before the request waits for it is still heard", async (t) => {
  // The daemon pauses after starting the session and before awaiting its answer.
  const d = await daemonFor(t, { POUNCE_DELAY: "webhook.before_sync_wait:1000" }, [
    "--sync-timeout",
    "2",
  ]);
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, {
      "autokitteh.yaml": manifest(hook("quick", "main.py:quick", "      is_sync: true\n")),
      "main.py": `import autokitteh

def quick(event):
    autokitteh.http_outcome(200, body="first")
    autokitteh.http_outcome(body="second")
`,
    }),
  ]);
  assert.equal(out.code, 0, out.stderr);
  const sent = Date.now();
  const res = await fetch(d.url + webhookPath(out.stdout, "quick"), { method: "POST" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "first");
  assert.ok(Date.now() - sent >= 1000, "the daemon paused before waiting for the answer");
  // The session had ended, its answer given, before the pause was over.
  const { sessions } = await d.api<{ sessions: { state: string; ended_at: string }[] }>(
    "/api/sessions?project=talk",
  );
  assert.equal(sessions[0].state, "completed");
  assert.ok(Date.parse(sessions[0].ended_at) < sent + 1000, "the session ended during the pause");
});
