// Waiting sessions release their runner (hibernate) and resume by replay when their
// event, signal or deadline comes, also across a daemon restart.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, sleep, webhookPath, writeProject } from "../helpers/daemon.ts";

const project = {
  "autokitteh.yaml": `version: v1
project:
  name: sleepy
  triggers:
    - name: wait_event
      webhook: {}
      event_type: post
      call: main.py:wait_event
    - name: wait_sleep
      webhook: {}
      event_type: post
      call: main.py:wait_sleep
    - name: wait_signal
      webhook: {}
      event_type: post
      call: main.py:wait_signal
    - name: feed
      webhook: {}
      event_type: put
`,
  "main.py": `import random
import time
import autokitteh

def wait_event(event):
    sub = autokitteh.subscribe("feed", "data.body.text == 'go'")
    n = random.randint(1, 10**9)
    print("waiting", n)
    got = autokitteh.next_event(sub)
    print("got", got.body.text, n)

def wait_sleep(event):
    print("sleeping")
    time.sleep(2)
    print("woke")

def wait_signal(event):
    print("id", event.session_id)
    sig = autokitteh.next_signal("poke")
    print("poked", sig.payload)
`,
};

async function until(what: string, check: () => Promise<boolean>) {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

type S = { session_id: string; state: string; hibernated: boolean; error: string | null };

test("a waiting session hibernates, then resumes on its event, deadline or signal", async (t) => {
  const d = await daemonFor(t, {}, ["--hibernate-after", "0.3"]);
  const out = await d.cli(["deploy", "--manifest", writeProject(t, project)]);
  assert.equal(out.code, 0, out.stderr);
  const hook = (name: string) => d.url + webhookPath(out.stdout, name);
  const session = async (id: string) =>
    (await d.api<{ session: S }>(`/api/sessions/${id}`)).session;

  await fetch(hook("wait_event"), { method: "POST" });
  const [{ session_id: id }] =
    (await d.api<{ sessions: S[] }>("/api/sessions?project=sleepy")).sessions;
  await until("hibernation", async () => (await session(id)).hibernated);
  const before = await d.prints(id);
  assert.match(before[0], /^waiting \d+$/);

  // A non-matching event does not wake it; a matching one does, also after a restart.
  await fetch(hook("feed"), { method: "PUT", body: "nope" });
  await sleep(300);
  assert.equal((await session(id)).hibernated, true);
  await d.kill();
  await d.start();
  assert.equal((await session(id)).hibernated, true);
  await fetch(hook("feed"), { method: "PUT", body: "go" });
  const done = await d.waitSession(id);
  assert.equal(done.state, "completed", done.error ?? "");
  // The random number comes from the journal: the replay saw the same value.
  const n = before[0].split(" ")[1];
  assert.deepEqual(await d.prints(id), [`waiting ${n}`, `got go ${n}`]);

  await fetch(hook("wait_sleep"), { method: "POST" });
  const sleeper =
    (await d.api<{ sessions: S[] }>("/api/sessions?project=sleepy")).sessions[0].session_id;
  await until("the sleeper to hibernate", async () => (await session(sleeper)).hibernated);
  const slept = await d.waitSession(sleeper);
  assert.equal(slept.state, "completed", slept.error ?? "");
  assert.deepEqual(await d.prints(sleeper), ["sleeping", "woke"]);

  await fetch(hook("wait_signal"), { method: "POST" });
  const waiter =
    (await d.api<{ sessions: S[] }>("/api/sessions?project=sleepy")).sessions[0].session_id;
  await until("the waiter to hibernate", async () => (await session(waiter)).hibernated);
  const poker = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, {
      "autokitteh.yaml": project["autokitteh.yaml"],
      "main.py": project["main.py"] + `
def poke(event):
    autokitteh.signal(event.data["target"], "poke", {"from": "test"})
`,
    }),
  ]);
  assert.equal(poker.code, 0, poker.stderr);
  const started = await d.cli([
    "session",
    "start",
    "-o",
    "sleepy",
    "-p",
    "main.py:poke",
    "--input",
    `target="${waiter}"`,
    "--durable",
  ]);
  assert.equal(started.code, 0, started.stderr);
  const poked = await d.waitSession(waiter);
  assert.equal(poked.state, "completed", poked.error ?? "");
  assert.deepEqual(await d.prints(waiter), [`id ${waiter}`, "poked {'from': 'test'}"]);
});
