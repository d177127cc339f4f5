// What a session costs the database (issue 19): a lone trivial session that answers a
// synchronous webhook commits twice (its event with its start; its outcome with its end),
// and an outcome answered before more work still reaches the client before the end.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, type TestDaemon, webhookPath, writeProject } from "../helpers/daemon.ts";

const project = {
  "autokitteh.yaml": `version: v1
project:
  name: commits
  triggers:
    - name: trivial
      webhook: {}
      call: main.py:trivial
      is_sync: true
    - name: early
      webhook: {}
      call: main.py:early
      is_sync: true
`,
  "main.py": `import time

import autokitteh


def trivial(event):
    autokitteh.http_outcome(status_code=200, body="ok")


def early(event):
    autokitteh.http_outcome(status_code=200, body=event.session_id)
    time.sleep(2)
`,
};

async function commits(d: TestDaemon): Promise<number> {
  const res = await fetch(`${d.url}/metrics`, { headers: { authorization: `Bearer ${d.token}` } });
  const text = await res.text();
  const m = /^pounce_db_commits_total(?:\{[^}]*\})? (\S+)$/m.exec(text);
  assert.ok(m, "pounce_db_commits_total is missing");
  return Number(m[1]);
}

test("a lone trivial session commits twice; an early answer does not wait for the end", async (t) => {
  const d = await daemonFor(t);
  const out = await d.cli(["deploy", "--manifest", writeProject(t, project)]);
  assert.equal(out.code, 0, out.stderr);
  const trivial = d.url + webhookPath(out.stdout, "trivial");
  // Warm: the deployment's runner pool and caches.
  assert.equal((await fetch(trivial, { method: "POST" })).status, 200);
  const ended = async () => {
    const { sessions } = await d.api<{ sessions: { state: string }[] }>(
      "/api/sessions?project=commits&limit=100",
    );
    return sessions.every((s) => s.state === "completed");
  };
  while (!(await ended())) await new Promise((r) => setTimeout(r, 20));

  const N = 5;
  const before = await commits(d);
  for (let i = 0; i < N; i++) {
    const res = await fetch(trivial, { method: "POST" });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok");
    while (!(await ended())) await new Promise((r) => setTimeout(r, 20));
  }
  const made = (await commits(d)) - before;
  // Two a session; one more may be the lease upkeep's.
  assert.ok(made <= 2 * N + 1, `${made} commits for ${N} sessions`);

  const res = await fetch(d.url + webhookPath(out.stdout, "early"), { method: "POST" });
  assert.equal(res.status, 200);
  const id = await res.text();
  const s = await d.api<{ session: { state: string } }>(`/api/sessions/${id}`);
  assert.equal(s.session.state, "running", "the answer waited for the session's end");
  assert.equal((await d.waitSession(id)).state, "completed");
});
