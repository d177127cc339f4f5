// A node's death (docs/scale.md): three daemons on one database file behind a round-robin
// client posting 500 webhooks whose sessions run activities and a durable sleep; one node
// is killed (SIGKILL) mid-run. Every accepted event ends with exactly one completed
// session, no activity whose result was committed runs again, and the dead node's
// sessions are resumed by the others within the lease time.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { sessionDir, sleep, tempHome, webhookPath, writeProject } from "../helpers/daemon.ts";
import { startNodes } from "../helpers/nodes.ts";
import { queryDb } from "../helpers/stored.ts";

const WEBHOOKS = 500;
const KILL_AFTER = 150; // accepted webhooks
const IN_FLIGHT = 8;
const LEASE_TTL_S = 2;
// What the machine may add to the lease time before a node adopts: its upkeep runs every
// third of the lease, and a loaded 2-core machine delays it.
const ADOPTION_SLACK_MS = 5000;

test("a node killed mid-run: every accepted event completes once, on the other nodes", async (t) => {
  // Started first: the daemons stop before the dirs made after them go.
  const ids = ["n0", "n1", "n2"];
  const started = await startNodes(t, ids.length, ["--lease-ttl", String(LEASE_TTL_S)], {
    nodeIds: ids,
  });
  const { db } = started;
  const nodes = ids.map((id, i) => ({ id, daemon: started.daemons[i] }));
  const effects = join(sessionDir(tempHome(t)), "effects");
  mkdirSync(effects, { mode: 0o777 });

  const project = writeProject(t, {
    "autokitteh.yaml": `version: v1
project:
  name: death
  vars:
    - name: EFFECTS
      value: ${effects}
  triggers:
    - name: go
      webhook: {}
      call: main.py:main
`,
    // Each activity's execution appends "<step> <token> <its daemon's pid>" to its event's
    // file; the session returns the tokens its journal committed.
    "main.py": `import os
import time
import uuid
import autokitteh

@autokitteh.activity
def effect(key, step):
    token = uuid.uuid4().hex
    # The runner's parent is its fork server, whose parent is the daemon (1 once it died).
    with open(f"/proc/{os.getppid()}/stat") as stat:
        daemon = stat.read().rsplit(")", 1)[1].split()[1]
    with open(os.path.join(os.environ["EFFECTS"], key), "a") as f:
        f.write(f"{step} {token} {daemon}\\n")
    time.sleep(0.5)  # in flight for a while: a node may die meanwhile
    return token

def main(event):
    key = event.data.body.json["key"]
    first = effect(key, 1)
    time.sleep(4)
    second = effect(key, 2)
    return f"{first} {second}"
`,
  });
  const deployed = await nodes[0].daemon.cli(["deploy", "--manifest", project]);
  assert.equal(deployed.code, 0, deployed.stderr);
  const path = webhookPath(deployed.stdout, "go");

  // The client: round-robin over the live nodes; a post a node does not answer goes to
  // the next one under a new key (the first may have been stored: its session runs too).
  const accepted = new Map<string, string>(); // event id -> key
  const victim = nodes[1];
  let killedAt = 0;
  let live = [...nodes];
  let next = 0;
  let posted = 0;
  const post = async (n: number) => {
    for (let attempt = 0;; attempt++) {
      if (!live.length) throw new Error("no node left");
      const node = live[next++ % live.length];
      const key = `${n}-${attempt}`;
      try {
        const res = await fetch(node.daemon.url + path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ key }),
        });
        assert.equal(res.status, 202, await res.text());
        accepted.set(res.headers.get("autokitteh-event-id")!, key);
        return;
      } catch (err) {
        if (node !== victim || !killedAt) throw err;
        live = live.filter((l) => l !== victim);
      }
    }
  };
  const query = (sql: string, args: (string | number)[] = []) => queryDb(db, sql, args);
  // The dead node's live sessions, as it left them.
  let orphaned: string[] = [];
  let victimPid = 0;
  const kill = async () => {
    victimPid = victim.daemon.proc!.pid!;
    killedAt = Date.now();
    await victim.daemon.kill();
    orphaned = (await query(
      "SELECT id FROM sessions WHERE owner = ? AND state IN ('created', 'running')",
      [victim.id],
    )).map((r) => String(r.id));
  };
  const began = Date.now();
  let killing: Promise<void> | undefined;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (posted < WEBHOOKS) {
      const n = posted++;
      await post(n);
      if (accepted.size >= KILL_AFTER) killing ??= kill();
    }
  }));
  await killing;
  t.diagnostic(
    `posted in ${Date.now() - began} ms; killed after ${killedAt - began} ms; ` +
      `${orphaned.length} sessions left running on the killed node`,
  );
  assert.ok(orphaned.length > 0, "the node died with sessions running");

  const deadline = Date.now() + 150_000;
  for (;;) {
    const [{ live: running, total: all }] = await query(
      `SELECT count(*) FILTER (WHERE state IN ('created', 'running')) AS live, count(*) AS total
       FROM sessions`,
    ) as unknown as { live: number; total: number }[];
    if (Number(running) === 0 && Number(all) >= accepted.size) break;
    if (Date.now() > deadline) throw new Error(`${running} of ${all} sessions still live`);
    await sleep(250);
  }
  t.diagnostic(`all sessions ended ${Date.now() - began} ms after the first post`);

  // Every accepted event: exactly one session, completed.
  const sessions = await query(
    "SELECT id, event_id, state, error, lease_epoch, return_display FROM sessions",
  );
  const byEvent = new Map<string, typeof sessions>();
  for (const s of sessions) {
    byEvent.set(String(s.event_id), [...(byEvent.get(String(s.event_id)) ?? []), s]);
  }
  assert.equal(accepted.size, WEBHOOKS);
  for (const [eventId, key] of accepted) {
    const of = byEvent.get(eventId) ?? [];
    assert.equal(of.length, 1, `event ${eventId} (${key}): ${of.length} sessions`);
    assert.equal(of[0].state, "completed", `${key}: ${of[0].error}`);
  }
  assert.deepEqual(sessions.filter((s) => s.state !== "completed"), [], "every session completed");

  // No activity whose result committed ran again: its committed token is the last
  // execution of its step. A step runs again only after a claim (an activity in flight when
  // its node died), at most once per claim.
  let reruns = 0;
  for (const [eventId, key] of accepted) {
    const s = byEvent.get(eventId)![0];
    const committed = String(s.return_display).replace(/'/g, "").split(" ");
    const file = join(effects, key);
    assert.ok(existsSync(file), `${key}: no activity ran`);
    const runs = readFileSync(file, "utf8").trim().split("\n").map((l) => l.split(" "));
    for (const step of ["1", "2"]) {
      const tokens = runs.filter(([s]) => s === step).map(([, token]) => token);
      const why = `${key} step ${step}: ${JSON.stringify(runs)} (killed daemon: ${victimPid})`;
      assert.equal(tokens.at(-1), committed[Number(step) - 1], why);
      assert.ok(tokens.length <= 1 + Number(s.lease_epoch), why);
      reruns += tokens.length - 1;
    }
  }
  t.diagnostic(`${reruns} activities ran again (in flight when their node lost them)`);

  // The dead node's sessions were resumed within the lease time, and finished.
  let latestAdoption = 0;
  let latestEnd = 0;
  const stateOf = db.startsWith("file:") ? "json_extract(data, '$.state')" : "(data ->> 'state')";
  for (const id of orphaned) {
    const [{ adopted, ended }] = await query(
      `SELECT (SELECT min(created_at) FROM session_logs WHERE session_id = s.id AND
                 type = 'state' AND ${stateOf} = 'running' AND
                 created_at >= ?) AS adopted,
              s.ended_at AS ended
       FROM sessions s WHERE s.id = ?`,
      [killedAt, id],
    ) as unknown as { adopted: number | null; ended: number }[];
    assert.ok(adopted !== null, `${id} was resumed`);
    latestAdoption = Math.max(latestAdoption, Number(adopted) - killedAt);
    latestEnd = Math.max(latestEnd, Number(ended) - killedAt);
  }
  t.diagnostic(
    `killed node's sessions: last resumed ${latestAdoption} ms, last ended ${latestEnd} ms ` +
      `after the kill (lease ${LEASE_TTL_S} s)`,
  );
  assert.ok(
    latestAdoption <= LEASE_TTL_S * 1000 + ADOPTION_SLACK_MS,
    `resumed ${latestAdoption} ms after the kill`,
  );
});
