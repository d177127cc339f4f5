// Deploying: manifest errors, syntax errors, redeploys, vars in the environment.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, webhookPath, writeProject } from "../helpers/daemon.ts";

const manifest = (extra = "") =>
  `version: v1
project:
  name: deploy_test
  vars:
    - name: GREETING
      value: hello
    - name: API_KEY
      value: s3cr3t-value
      secret: true
  triggers:
    - name: hook
      webhook: {}
      call: main.py:on_event
${extra}`;

const handler = `import os

def on_event(event):
    print("GREETING", os.getenv("GREETING"))
    print("API_KEY", os.getenv("API_KEY"))
    print("URL", os.getenv("hook__webhook_url"))
    return {"ok": True}
`;

test("vars and secrets reach the handler's environment; secrets are masked by the CLI", async (t) => {
  const d = await daemonFor(t);
  const m = writeProject(t, { "autokitteh.yaml": manifest(), "main.py": handler });
  const out = await d.cli(["deploy", "--manifest", m]);
  assert.equal(out.code, 0, out.stderr);
  const path = webhookPath(out.stdout, "hook");
  assert.equal((await fetch(d.url + path, { method: "POST" })).status, 202);
  const s = await d.waitSession("deploy_test");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.equal(s.return_value, "{'ok': True}");
  assert.deepEqual(await d.prints("deploy_test"), [
    "GREETING hello",
    // The handler sees the secret; its value is masked in the session log.
    "API_KEY ********",
    `URL ${d.url}${path}`,
  ]);
  const vars = await d.cli(["var", "get", "--project", "deploy_test"]);
  assert.match(vars.stdout, /API_KEY=\*{8}/);
  assert.doesNotMatch(vars.stdout, /s3cr3t-value/);
  const revealed = await d.cli(["var", "get", "API_KEY", "--project", "deploy_test", "--reveal"]);
  assert.equal(revealed.stdout.trim(), "API_KEY=s3cr3t-value");
  assert.doesNotMatch(d.stderr, /s3cr3t-value/);
});

test("a manifest error names the field and deploys nothing", async (t) => {
  const d = await daemonFor(t);
  const bad = `version: v1
project:
  name: bad_one
  triggers:
    - name: ok
      webhook: {}
      call: main.py:f
    - name: broken
      webhook: {}
      call: not-a-call
`;
  const m = writeProject(t, { "autokitteh.yaml": bad, "main.py": "def f(e): pass\n" });
  const out = await d.cli(["deploy", "--manifest", m]);
  assert.equal(out.code, 40);
  assert.match(out.stderr, /project\.triggers\[1\]\.call: must look like "file\.py:function"/);
  const projects = await d.api<{ projects: unknown[] }>("/api/projects");
  assert.deepEqual(projects.projects, []);
});

test("a Python syntax error fails the deploy, naming file and line", async (t) => {
  const d = await daemonFor(t);
  const m = writeProject(t, {
    "autokitteh.yaml": manifest(),
    "main.py": handler,
    "lib/helpers.py": "def ok():\n    return 1\n\ndef broken(:\n    pass\n",
  });
  const out = await d.cli(["deploy", "--manifest", m]);
  assert.equal(out.code, 40);
  assert.match(out.stderr, /lib\/helpers\.py, line 4/);
  assert.deepEqual((await d.api<{ projects: unknown[] }>("/api/projects")).projects, []);
});

test("a redeploy replaces triggers and keeps the webhook slug", async (t) => {
  const d = await daemonFor(t);
  const m = writeProject(t, { "autokitteh.yaml": manifest(), "main.py": handler });
  const first = await d.cli(["deploy", "--manifest", m]);
  assert.equal(first.code, 0, first.stderr);
  const withExtra = writeProject(t, {
    "autokitteh.yaml": manifest(`    - name: second
      webhook: {}
      call: main.py:on_event
`),
    "main.py": handler,
  });
  const second = await d.cli(["deploy", "--manifest", withExtra]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(webhookPath(second.stdout, "hook"), webhookPath(first.stdout, "hook"));
  assert.match(second.stdout, /create_trigger "deploy_test:webhook\/second"/);
  const third = await d.cli(["deploy", "--manifest", m]);
  assert.match(third.stdout, /delete_trigger "deploy_test\/second"/);
  const triggers = await d.api<{ triggers: { name: string }[] }>(
    "/api/triggers?project=deploy_test",
  );
  assert.deepEqual(triggers.triggers.map((t) => t.name), ["hook"]);
  const deployments = await d.api<{ deployments: { state: string }[] }>(
    "/api/deployments?project=deploy_test",
  );
  assert.deepEqual(deployments.deployments.map((x) => x.state), ["active", "inactive", "inactive"]);
});
