// Several daemons on one database: webhooks land on any node, and when a node dies
// another resumes its sessions by replay once the lease expires.
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import {
  sessionDir,
  sleep,
  tempHome,
  TestDaemon,
  webhookPath,
  writeProject,
} from "../helpers/daemon.ts";
import { startNodes } from "../helpers/nodes.ts";

// Two daemons on one database (a libSQL file, or PostgreSQL under POUNCE_TEST_DB).
async function twoNodes(t: TestContext, extra: string[] = []): Promise<TestDaemon[]> {
  return (await startNodes(t, 2, extra)).daemons;
}

test("two daemons share a database; a node's death is survived by replay on the other", async (t) => {
  const [a, b] = await twoNodes(t, ["--lease-ttl", "1", "--hibernate-after", "off"]);
  const sideEffects = join(sessionDir(tempHome(t)), "effects.txt");
  writeFileSync(sideEffects, "");
  chmodSync(sideEffects, 0o666);

  const project = writeProject(t, {
    "autokitteh.yaml": `version: v1
project:
  name: shared
  vars:
    - name: EFFECTS
      value: ${sideEffects}
    - name: SECRET
      value: hush
      secret: true
  triggers:
    - name: go
      webhook: {}
      call: main.py:main
`,
    "main.py": `import os
import time
import autokitteh

@autokitteh.activity
def effect(step):
    with open(os.environ["EFFECTS"], "a") as f:
        f.write(f"{step}\\n")
    return step

def main(event):
    print("secret", os.environ["SECRET"])
    effect(1)
    print("after one")
    time.sleep(3)
    effect(2)
    print("done")
`,
  });
  const deployed = await a.cli(["deploy", "--manifest", project]);
  assert.equal(deployed.code, 0, deployed.stderr);
  const path = webhookPath(deployed.stdout, "go");

  // The webhook lands on B (which did not deploy); B runs the session.
  assert.equal((await fetch(b.url + path, { method: "POST" })).status, 202);
  for (
    let i = 0;
    i < 200 && !(await b.prints("shared").catch((): string[] => [])).includes("after one");
    i++
  ) await sleep(50);
  assert.deepEqual(await b.prints("shared"), ["secret hush", "after one"]);

  // B dies during the sleep; A adopts the session after the lease runs out.
  await b.kill();
  const s = await a.waitSession("shared", 30_000);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await a.prints("shared"), ["secret hush", "after one", "done"]);
  assert.deepEqual(readFileSync(sideEffects, "utf8").trim().split("\n"), ["1", "2"]);
});

test("a node sees config changed through another node at once (its config cache is checked)", async (t) => {
  const [a, b] = await twoNodes(t);
  const project = writeProject(t, {
    "autokitteh.yaml": `version: v1
project:
  name: cached
  vars:
    - name: COLOR
      value: red
  triggers:
    - name: color
      webhook: {}
      call: main.py:color
      is_sync: true
`,
    "main.py": `import os
import autokitteh

def color(event):
    autokitteh.http_outcome(status_code=200, body=os.environ["COLOR"])
`,
  });
  const deployed = await a.cli(["deploy", "--manifest", project]);
  assert.equal(deployed.code, 0, deployed.stderr);
  const hook = b.url + webhookPath(deployed.stdout, "color");
  const color = async () => {
    const res = await fetch(hook, { method: "POST" });
    return `${res.status} ${await res.text()}`;
  };

  // B serves from its cache once it has read the config; A's changes reach it.
  assert.equal(await color(), "200 red");
  assert.equal(await color(), "200 red");
  const set = await a.cli(["var", "set", "COLOR", "blue", "--project", "cached"]);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(await color(), "200 blue");
  const { deployments } = await a.api<{ deployments: { deployment_id: string }[] }>(
    "/api/deployments?project=cached",
  );
  const off = await a.cli(["deployment", "deactivate", deployments[0].deployment_id]);
  assert.equal(off.code, 0, off.stderr);
  assert.equal((await fetch(hook, { method: "POST" })).status, 404);
  const on = await a.cli(["deployment", "activate", deployments[0].deployment_id]);
  assert.equal(on.code, 0, on.stderr);
  assert.equal(await color(), "200 blue");
  // And B's own changes reach its cache too.
  const own = await b.cli(["var", "set", "COLOR", "green", "--project", "cached"]);
  assert.equal(own.code, 0, own.stderr);
  assert.equal(await color(), "200 green");
});
