// The CLI: live tails of a running session, project/deployment/build/session/manifest
// commands, and exit codes that tell not found, bad request and unauthorized apart.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { daemonFor, type TestDaemon, webhookPath, writeProject } from "../helpers/daemon.ts";
import { waitFor } from "../helpers/fakes.ts";
import { gateFor } from "../helpers/gate.ts";
import { LiveCli } from "../helpers/tail.ts";

const EXIT = { badRequest: 40, unauthenticated: 41, precondition: 42, notFound: 44 };

const manifest = (name: string, vars = "") =>
  `version: v2
project:
  name: ${name}
${vars}  triggers:
    - name: hook
      webhook: {}
      call: main.py:handle
`;

async function deploy(t: { after(fn: () => unknown): void }, d: TestDaemon, files: object) {
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, files as Record<string, string>),
  ]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout;
}

test("prints --tail and watch follow a running session and end with it", async (t) => {
  const d = await daemonFor(t);
  const gate = await gateFor(t);
  const out = await deploy(t, d, {
    "autokitteh.yaml": manifest(
      "live",
      `  vars:\n    - name: GATE_URL\n      value: "${gate.url}"\n`,
    ),
    "main.py": `import os
import urllib.request

def handle(event):
    print("one")
    print("two\\nlines")
    urllib.request.urlopen(os.environ["GATE_URL"]).read()
    print("three")
`,
  });
  const env = { ...d.env, POUNCE_URL: d.url };
  // The project has no session yet: the tail waits for the next one.
  const prints = new LiveCli(["session", "prints", "--tail", "live"], env);
  t.after(() => prints.kill());
  await prints.waitFor(/waiting for the next session of project "live"/, "stderr");
  const watch = new LiveCli(["session", "watch", "live", "--json"], env);
  t.after(() => watch.kill());
  await watch.waitFor(/waiting for the next session/, "stderr");

  await fetch(d.url + webhookPath(out, "hook"), { method: "POST" });
  await prints.waitFor(/two\nlines\n/);
  await watch.waitFor(/"text":"two\\nlines"/);
  // Both saw the prints while the handler still waits at the gate (which it may reach only
  // after its prints have come through).
  await waitFor("the handler to reach the gate", () => gate.hits === 1);
  const { sessions } = await d.api<{ sessions: { session_id: string; state: string }[] }>(
    "/api/sessions?project=live",
  );
  assert.equal(sessions[0].state, "running");
  const timedOut = await d.cli(["session", "watch", sessions[0].session_id, "--timeout", "1ms"]);
  assert.equal(timedOut.code, 1);
  assert.match(timedOut.stderr, /timed out/);

  gate.open();
  assert.equal(await prints.exited, 0, prints.stderr);
  assert.equal(prints.stdout, "one\ntwo\nlines\nthree\n");
  assert.match(prints.stderr, /session ses_\w+ completed/);
  assert.equal(await watch.exited, 0, watch.stderr);
  const records = watch.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.seq), records.map((_, i) => i + 1));
  assert.deepEqual(records.at(-1).data, { state: "completed" });
  assert.equal(records[0].session_id, sessions[0].session_id);

  // The session has ended: the same commands replay it and end at once.
  const id = sessions[0].session_id;
  const file = join(mkdtempSync(join(tmpdir(), "pounce-logs-")), "logs.txt");
  t.after(() => rmSync(file, { force: true }));
  const [again, reached, wrong, log, colored, dl] = await Promise.all([
    d.cli(["session", "prints", "--tail", id]),
    d.cli(["session", "watch", id, "--end-state", "running", "-q"]),
    d.cli(["session", "watch", id, "--end-state", "error", "-q"]),
    d.cli(["session", "log", "--tail", id]),
    d.cli(["session", "log", id], { FORCE_COLOR: "1" }),
    d.cli(["session", "download-logs", id, "-o", file]),
  ]);
  assert.equal(again.stdout, "one\ntwo\nlines\nthree\n");
  assert.equal(reached.code, 0, reached.stderr);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /ended completed, not error/);
  assert.equal(log.code, 0, log.stderr);
  assert.match(log.stdout, /state +running\n/);
  assert.match(log.stdout, /print +two\n +lines\n/);
  const ESC = "\x1b[";
  assert.equal(log.stdout.includes(ESC), false);
  assert.ok(colored.stdout.includes(`${ESC}32mcompleted${ESC}0m`), colored.stdout);
  assert.equal(dl.code, 0, dl.stderr);
  assert.match(
    readFileSync(file, "utf8"),
    /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]: {2}one\n\[[^\]]+\]: {2}two\n {24}lines\n\[[^\]]+\]: {2}three\n$/,
  );
});

test("project, deployment, build, session and manifest commands", async (t) => {
  const d = await daemonFor(t);
  const files = {
    "autokitteh.yaml": manifest("cmds"),
    "main.py": "def handle(event):\n    print('hi')\n",
  };
  const first = await deploy(t, d, files);
  await deploy(t, d, files);
  const { deployments } = await d.api<{ deployments: { deployment_id: string; state: string }[] }>(
    "/api/deployments?project=cmds",
  );
  const [newer, older] = deployments;
  assert.deepEqual(deployments.map((x) => x.state), ["active", "inactive"]);
  const hook = d.url + webhookPath(first, "hook");
  const dir = mkdtempSync(join(tmpdir(), "pounce-cli-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const deploymentCommands = async () => {
    const activated = await d.cli(["deployment", "activate", older.deployment_id]);
    assert.equal(activated.stdout.trim(), `deployment ${older.deployment_id}: active`);
    const [got, busy] = await Promise.all([
      d.cli(["deployment", "get", newer.deployment_id, "--json"]),
      d.cli(["deployment", "delete", older.deployment_id]),
    ]);
    assert.equal(JSON.parse(got.stdout).state, "inactive");
    assert.equal(busy.code, EXIT.precondition);
    assert.match(busy.stderr, /is active; deactivate it first/);
    const [deleted, deactivated] = await Promise.all([
      d.cli(["deployment", "delete", newer.deployment_id]),
      d.cli(["deployment", "deactivate", older.deployment_id]),
    ]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deactivated.stdout, /: inactive/);
    assert.equal((await fetch(hook, { method: "POST" })).status, 404);
    await d.cli(["deployment", "activate", older.deployment_id]);
  };

  const buildCommands = async () => {
    const list = await d.cli(["build", "list", "-p", "cmds", "--json"]);
    const builds = JSON.parse(list.stdout).builds;
    assert.equal(builds.length, 2);
    const out = join(dir, "build");
    const dl = await d.cli(["build", "download", builds[0].build_id, "-o", out]);
    assert.equal(dl.code, 0, dl.stderr);
    assert.equal(readFileSync(join(out, "main.py"), "utf8"), files["main.py"]);
    assert.equal((await d.cli(["build", "download", builds[0].build_id, "-o", out])).code, 42);
  };

  const manifestCommands = async () => {
    // Its own directory: the build download writes Python files into the shared one, and
    // validate checks the code it finds beside the manifest.
    const own = join(dir, "manifests");
    mkdirSync(own);
    const good = join(own, "good.yaml");
    const bad = join(own, "bad.yaml");
    writeFileSync(good, files["autokitteh.yaml"].replace("cmds", "planned"));
    writeFileSync(bad, "version: v3\n");
    const [valid, plan, invalid] = await Promise.all([
      d.cli(["manifest", "validate", good]),
      d.cli(["manifest", "plan", good]),
      d.cli(["manifest", "validate", bad]),
    ]);
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stdout, /valid \(project "planned"\)/);
    assert.match(plan.stdout, /\[plan\] project "planned": not found, will create/);
    assert.equal(invalid.code, EXIT.badRequest);
    assert.match(invalid.stderr, /version/);
  };

  const projectCommands = async () => {
    const created = await d.cli(["project", "create", "empty_one", "--display-name", "Empty"]);
    assert.match(created.stdout, /^project_id: prj_\w+\n$/);
    const project = JSON.parse((await d.cli(["project", "get", "empty_one", "--json"])).stdout);
    assert.equal(project.display_name, "Empty");
  };

  await Promise.all([deploymentCommands(), buildCommands(), manifestCommands(), projectCommands()]);

  await fetch(hook, { method: "POST" });
  const s = await d.waitSession("cmds");
  assert.equal(s.state, "completed", s.error ?? "");
  // Watching a session that ends in error exits 1; `-r` stops at a print; `-n` drops times;
  // `--wait-created` waits for a session id that does not exist yet.
  const [failed, untilPrint, notYet] = await Promise.all([
    d.cli(["session", "start", "-o", "cmds", "-p", "main.py:missing", "--watch"]),
    d.cli(["session", "watch", s.session_id, "-n", "-r", "^hi$"]),
    d.cli(["session", "watch", "ses_00000000000000000000000000", "--wait-created", "-t", "1s"]),
  ]);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /ended in error/);
  assert.equal(untilPrint.code, 0, untilPrint.stderr);
  assert.match(untilPrint.stdout, /^state +running\n/);
  assert.match(untilPrint.stdout, /\nprint +hi\n$/);
  assert.equal(notYet.code, 1);
  assert.match(notYet.stderr, /after 1s/);
  assert.equal((await d.cli(["session", "delete", s.session_id])).code, 0);
  const [gone, deletedProject] = await Promise.all([
    d.cli(["session", "get", s.session_id]),
    d.cli(["project", "delete", "cmds"]),
  ]);
  assert.deepEqual([gone.code, gone.stdout], [0, ""]);
  assert.match(gone.stderr, /not found/);
  assert.equal(deletedProject.code, 0, deletedProject.stderr);
  assert.equal((await d.cli(["project", "get", "cmds", "--fail"])).code, EXIT.notFound);
  assert.deepEqual(
    (await d.api<{ projects: { name: string }[] }>("/api/projects")).projects
      .map((p) => p.name),
    ["empty_one"],
  );
});

test("exit codes: not found, bad request, unauthorized, conflict", async (t) => {
  const d = await daemonFor(t);
  const results = await Promise.all([
    d.cli(["project", "get", "nope"]),
    d.cli(["project", "get", "nope", "--fail"]),
    d.cli(["session", "get", "ses_00000000000000000000000000", "-f"]),
    d.cli(["deployment", "activate", "dep_00000000000000000000000000"]),
    d.cli(["project", "create", "bad name"]),
    d.cli(["session", "frobnicate"]),
    d.cli(["session", "watch", "x", "--timeout", "soon"]),
    d.cli(["project", "list"], { POUNCE_TOKEN: "wrong" }),
    d.cli(["session", "prints", "--tail", "nope"], { POUNCE_TOKEN: "wrong" }),
  ]);
  assert.deepEqual(results.map((r) => r.code), [0, 44, 44, 44, 40, 40, 40, 41, 41]);
  assert.match(results[1].stderr, /project "nope" not found/);
  assert.equal((await d.cli(["project", "create", "twice"])).code, 0);
  const again = await d.cli(["project", "create", "twice"]);
  assert.equal(again.code, EXIT.precondition);
  assert.match(again.stderr, /already exists/);
  const missing = await d.cli(["session", "prints", "--tail", "nope"]);
  assert.equal(missing.code, EXIT.notFound);
  assert.match(missing.stderr, /project "nope" not found/);
});
