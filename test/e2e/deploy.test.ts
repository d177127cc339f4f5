// Deploying: manifest errors, syntax errors, redeploys, vars in the environment; what the
// CLI uploads (no link out of the project) and what the daemon takes (no name leaving the
// build, none too long, no file that is also a directory).
import assert from "node:assert/strict";
import { symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { daemonFor, type TestDaemon, webhookPath, writeProject } from "../helpers/daemon.ts";

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
  // The full URL to paste, after AutoKitteh's path.
  assert.ok(out.stdout.includes(`webhook path is "${path}", URL ${d.url}${path}\n`), out.stdout);
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

test("a deploy asks before deleting vars set by hand; --yes deletes them", async (t) => {
  const d = await daemonFor(t);
  const m = writeProject(t, { "autokitteh.yaml": manifest(), "main.py": handler });
  assert.equal((await d.cli(["deploy", "--manifest", m])).code, 0);
  // GREETING is the manifest's (the manifest's value wins again); EXTRA exists only by hand.
  for (const [name, value] of [["GREETING", "hi"], ["EXTRA", "1"]]) {
    assert.equal((await d.cli(["var", "set", name, value, "--project", "deploy_test"])).code, 0);
  }
  const asked = await d.cli(["deploy", "--manifest", m]);
  assert.equal(asked.code, 42, asked.stderr);
  assert.match(asked.stderr, /would delete vars set by hand .*: deploy_test\/EXTRA\. .*--yes/);
  assert.equal((await d.cli(["var", "get", "EXTRA", "--project", "deploy_test"])).code, 0);
  const yes = await d.cli(["deploy", "--manifest", m, "--yes"]);
  assert.equal(yes.code, 0, yes.stderr);
  assert.match(
    yes.stdout,
    /\[plan\] var "deploy_test\/EXTRA": set by hand \(pounce var set\), not in manifest, will delete/,
  );
  const left = await d.cli(["var", "get", "--project", "deploy_test"]);
  assert.match(left.stdout, /GREETING/);
  assert.doesNotMatch(left.stdout, /EXTRA/);
  // A var the manifest sets again is the manifest's: the next deploy asks nothing.
  assert.equal((await d.cli(["deploy", "--manifest", m])).code, 0);
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

test("deploy does not follow links out of the project dir; links inside it are uploaded", async (t) => {
  const d = await daemonFor(t);
  const m = writeProject(t, {
    "autokitteh.yaml": manifest(),
    "main.py": handler,
    "lib/util.py": "X = 1\n",
  });
  const dir = dirname(m);
  // The daemon's data dir holds its API token: a link to it must not be uploaded.
  symlinkSync(join(d.home, "token"), join(dir, "token"));
  symlinkSync(d.home, join(dir, "data"));
  symlinkSync(join(dir, "lib"), join(dir, "lib_link"));
  symlinkSync(join(dir, "main.py"), join(dir, "main_link.py"));
  symlinkSync(dir, join(dir, "lib", "loop"));
  symlinkSync(join(dir, "missing.py"), join(dir, "dangling.py"));
  const out = await d.cli(["deploy", "--manifest", m]);
  assert.equal(out.code, 0, out.stderr);
  for (const link of ["token", "data"]) {
    assert.match(out.stderr, new RegExp(`skipped "${link}": a link out of the project`));
  }
  const build = out.stdout.match(/create_build: created "(bld_\w+)"/)![1];
  const { files } = await d.api<{ files: Record<string, string> }>(`/api/builds/${build}/files`);
  assert.deepEqual(Object.keys(files).sort(), [
    "lib/util.py",
    "lib_link/util.py",
    "main.py",
    "main_link.py",
  ]);
  const uploaded = Object.values(files).map((b64) => Buffer.from(b64, "base64").toString());
  assert.ok(!uploaded.some((text) => text.includes(d.token)), "the token was uploaded");
});

// POST /api/deploy as a client other than the CLI could send it.
async function upload(
  d: TestDaemon,
  files: Record<string, string>,
  extra: Record<string, unknown> = {},
  m = manifest(),
): Promise<{ status: number; error: string }> {
  const res = await fetch(d.url + "/api/deploy", {
    method: "POST",
    headers: { authorization: `Bearer ${d.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      manifest: m,
      files: Object.fromEntries(
        Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
      ),
      ...extra,
    }),
  });
  return { status: res.status, error: ((await res.json()) as { error?: string }).error ?? "" };
}

test("uploaded names that leave the build, are too long or clash are refused, naming them", async (t) => {
  const d = await daemonFor(t);
  const main = { "main.py": handler };
  const long = "n".repeat(300);
  const deep = Array.from({ length: 12 }, () => "d".repeat(100)).join("/") + "/x.py";
  const cases: [string, Record<string, string>, RegExp][] = [
    ["a parent", { ...main, "../evil.py": "" }, /files: bad file name "\.\.\/evil\.py"/],
    ["absolute", { ...main, "/tmp/evil.py": "" }, /files: bad file name "\/tmp\/evil\.py"/],
    [
      "a long name",
      { ...main, [`${long}.py`]: "" },
      /files: "n{20}.*": a name longer than 255 bytes/,
    ],
    ["a long path", { ...main, [deep]: "" }, /files: "d{20}.*": longer than 1024 bytes/],
    [
      "a file and a dir",
      { ...main, "lib": "", "lib/x.py": "" },
      /files: "lib" is both a file and a directory/,
    ],
  ];
  for (const [what, files, error] of cases) {
    const res = await upload(d, files);
    assert.equal(res.status, 400, `${what}: ${res.error}`);
    assert.match(res.error, error, what);
    assert.ok(res.error.length < 400, `${what}: the error repeats the whole name`);
  }
  const named = await upload(d, main, { project_name: "p".repeat(300) });
  assert.equal(named.status, 400, named.error);
  assert.match(named.error, /^project_name: must be at most 128 characters/);
  const badName = await upload(d, main, { project_name: "../etc" });
  assert.equal(badName.status, 400, badName.error);
  assert.match(badName.error, /^project_name: must be letters/);
  const fields: [string, string, RegExp][] = [
    [
      "a var",
      manifest().replace("name: GREETING", `name: ${long}`),
      /project\.vars\[0\]\.name: must be at most 128/,
    ],
    [
      "a trigger",
      manifest().replace("name: hook", `name: ${long}`),
      /project\.triggers\[0\]\.name: must be at most 128/,
    ],
    [
      "a connection",
      manifest(`  connections:\n    - name: ${long}\n      integration: slack\n`),
      /project\.connections\[0\]\.name: must be at most 128/,
    ],
    [
      "an integration",
      manifest(`  connections:\n    - name: c\n      integration: ${long}\n`),
      /project\.connections\[0\]\.integration: must be at most 128/,
    ],
  ];
  for (const [what, m, error] of fields) {
    const res = await upload(d, main, {}, m);
    assert.equal(res.status, 400, `${what}: ${res.error}`);
    assert.match(res.error, error, what);
  }
  assert.deepEqual((await d.api<{ projects: unknown[] }>("/api/projects")).projects, []);
});
