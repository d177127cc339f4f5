// A stop asked while a session writes its log: the stop_request record is written by the
// run that owns the session, so no record of the run is lost to a seq another path chose.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { daemonFor, sleep, type TestDaemon, writeProject } from "../helpers/daemon.ts";
import { startNodes } from "../helpers/nodes.ts";

const project = {
  "autokitteh.yaml": `version: v2
project:
  name: race
`,
  "main.py": `import autokitteh

def spin(event):
    i = 0
    while True:
        print(i)
        i += 1

def wait(event):
    print("waiting")
    autokitteh.next_signal("poke")
`,
};

type Record = { seq: number; type: string; text?: string; reason?: string; state?: string };

async function startSpinning(d: TestDaemon): Promise<string> {
  const { session_id } = await d.api<{ session_id: string }>("/api/sessions", {
    method: "POST",
    body: JSON.stringify({ project: "race", entrypoint: "main.py:spin" }),
  });
  for (let i = 0; i < 200 && (await d.prints(session_id)).length < 100; i++) await sleep(20);
  return session_id;
}

// Stops asked at once, `times` times: the first asks, those after may find it ended.
async function stopMany(d: TestDaemon, id: string, times: number): Promise<void> {
  const answers = await Promise.all(
    Array.from({ length: times }, () =>
      fetch(`${d.url}/api/sessions/${id}/stop`, {
        method: "POST",
        body: JSON.stringify({ reason: "enough" }),
        headers: { authorization: `Bearer ${d.token}` },
      }).then(async (res) => [res.status, await res.text()] as const)),
  );
  for (const [status, text] of answers) assert.ok(status === 200 || status === 409, text);
  assert.ok(answers.some(([status]) => status === 200));
}

// Every record kept: seqs 1..n, prints 0, 1, 2, … without a gap, one stop request, and
// the end last.
async function assertWholeLog(d: TestDaemon, id: string, counted = true): Promise<void> {
  const { records } = await d.api<{ records: Record[] }>(`/api/sessions/${id}/log`);
  assert.deepEqual(records.map((r) => r.seq), records.map((_, i) => i + 1), "seqs 1..n");
  const prints = records.filter((r) => r.type === "print").map((r) => Number(r.text));
  if (counted) {
    assert.ok(prints.length >= 100);
    assert.deepEqual(prints, prints.map((_, i) => i), "every print kept");
  }
  const requests = records.filter((r) => r.type === "stop_request");
  assert.deepEqual(requests.map((r) => r.reason), ["enough"]);
  assert.deepEqual(records.at(-1), { ...records.at(-1), type: "state", state: "stopped" });
  assert.ok(records.indexOf(requests[0]) < records.length - 1);
}

async function deploy(t: TestContext, d: TestDaemon): Promise<void> {
  const deployed = await d.cli(["deploy", "--manifest", writeProject(t, project)]);
  assert.equal(deployed.code, 0, deployed.stderr);
}

test("a stop asked many times while the session prints loses no record", async (t) => {
  const d = await daemonFor(t);
  await deploy(t, d);
  for (let round = 0; round < 3; round++) {
    const id = await startSpinning(d);
    await stopMany(d, id, 8);
    const s = await d.waitSession(id);
    assert.equal(s.state, "stopped");
    assert.equal(s.error, "enough");
    await assertWholeLog(d, id);
  }
});

test("a stop asked on another node is logged by the node that runs the session", async (t) => {
  const { daemons: [a, b] } = await startNodes(t, 2, ["--lease-ttl", "1"]);
  await deploy(t, a);
  const id = await startSpinning(a);
  await stopMany(b, id, 4);
  const s = await b.waitSession(id);
  assert.equal(s.state, "stopped");
  assert.equal(s.error, "enough");
  await assertWholeLog(b, id);
});

test("a stop asked of a session whose node died ends it stopped, not in error", async (t) => {
  const { daemons: [a, b] } = await startNodes(t, 2, ["--lease-ttl", "1"]);
  await deploy(t, a);
  const id = await startSpinning(a);
  // The session's node dies with its lease still valid: b takes the stop request, then
  // adopts the session once that lease has expired, and ends it as asked.
  await a.kill();
  await stopMany(b, id, 2);
  const s = await b.waitSession(id);
  assert.deepEqual([s.state, s.error], ["stopped", "enough"]);
  await assertWholeLog(b, id);
});

test("a hibernated session asked to stop is claimed, and its stop logged, by the node asked", async (t) => {
  const d = await daemonFor(t, {}, ["--hibernate-after", "0.2"]);
  await deploy(t, d);
  const { session_id: id } = await d.api<{ session_id: string }>("/api/sessions", {
    method: "POST",
    body: JSON.stringify({ project: "race", entrypoint: "main.py:wait", durable: true }),
  });
  const hibernated = async () =>
    (await d.api<{ session: { hibernated: boolean } }>(`/api/sessions/${id}`)).session.hibernated;
  for (let i = 0; i < 200 && !(await hibernated()); i++) await sleep(50);
  assert.ok(await hibernated());
  await stopMany(d, id, 4);
  const s = await d.waitSession(id);
  assert.equal(s.state, "stopped");
  assert.equal(s.error, "enough");
  await assertWholeLog(d, id, false);
});
