// AutoKitteh projects as they are: var values of any YAML scalar, every manifest error at
// once, `pounce manifest validate` checking the code as deploy does, and a deploy warning
// for a trigger that can never fire.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, runCli, webhookPath, writeProject } from "../helpers/daemon.ts";

const manifest = (triggers: string, extra = "") =>
  `version: v1
project:
  name: akcompat
  vars:
    - name: COUNT
      value: 24
    - name: RATIO
      value: 1.50
    - name: ON
      value: true
    - name: NOTHING
      value:
${extra}  triggers:
${triggers}`;

const hook = (call = "main.py:on_event") =>
  `    - name: hook\n      webhook: {}\n      call: ${call}\n`;

test("var values of any YAML scalar reach the handler as AutoKitteh's text", async (t) => {
  const d = await daemonFor(t);
  const m = writeProject(t, {
    "autokitteh.yaml": manifest(hook()),
    "main.py": `import os

def on_event(event):
    print([os.getenv(k) for k in ("COUNT", "RATIO", "ON", "NOTHING")])
`,
  });
  const out = await d.cli(["deploy", "--manifest", m]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    (await fetch(d.url + webhookPath(out.stdout, "hook"), { method: "POST" })).status,
    202,
  );
  const s = await d.waitSession("akcompat");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints("akcompat"), ["['24', '1.50', 'true', '']"]);
});

test("validate lists every manifest error, each line naming the file and field", async (t) => {
  const m = writeProject(t, {
    "autokitteh.yaml":
      "version: v1\nproject:\n  name: bad-name\n  colour: red\n  triggers:\n    - name: t\n      webhook: {}\n      call: nope\n",
  });
  const out = await runCli(["manifest", "validate", m], process.env as Record<string, string>);
  assert.equal(out.code, 40, out.stderr);
  for (
    const line of [
      "project.name: must be letters, digits and underscores only",
      "project.colour: unknown field",
      'project.triggers[0].call: must look like "file.py:function"',
    ]
  ) {
    assert.ok(out.stderr.includes(`${m}: ${line}`), out.stderr);
  }
});

test("validate checks the code beside the manifest as deploy does", async (t) => {
  const validate = (files: Record<string, string>) =>
    runCli(["manifest", "validate", writeProject(t, files)], process.env as Record<string, string>);

  const missing = await validate({
    "autokitteh.yaml": manifest(hook("other.py:f")),
    "main.py": "",
  });
  assert.equal(missing.code, 40, missing.stderr);
  assert.match(
    missing.stderr,
    /project\.triggers\[0\]\.call: file "other\.py" is not in the project's files/,
  );

  const syntax = await validate({
    "autokitteh.yaml": manifest(hook()),
    "main.py": "def on_event(event):\n    return (\n",
  });
  assert.equal(syntax.code, 40, syntax.stderr);
  assert.match(syntax.stderr, /syntax error in main\.py, line \d+/);

  const noFunction = await validate({
    "autokitteh.yaml": manifest(hook("main.py:on_evnt")),
    "main.py": "def on_event(event):\n    pass\n",
  });
  assert.equal(noFunction.code, 0, noFunction.stderr);
  assert.match(
    noFunction.stderr,
    /\[warn\] trigger "hook": main\.py has no top-level function "on_evnt" .*; did you mean "on_event"\?/,
  );

  const good = await validate({
    "autokitteh.yaml": manifest(hook()),
    "main.py": "def on_event(event):\n    pass\n",
  });
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stderr, "");
});

test("a trigger on an integration with no event source is warned of at plan, deploy and validate", async (t) => {
  const d = await daemonFor(t);
  const sheets =
    "  connections:\n    - name: sheets\n      integration: googlesheets\n    - name: chat\n      integration: slack\n";
  const triggers = hook() +
    "    - name: on_row\n      connection: sheets\n      call: main.py:on_event\n" +
    "    - name: on_msg\n      connection: chat\n      call: main.py:on_event\n";
  const m = writeProject(t, {
    "autokitteh.yaml": manifest(triggers, sheets),
    "main.py": "def on_event(event):\n    pass\n",
  });
  const warning =
    /\[warn\] trigger "on_row": connection "sheets" is of integration "googlesheets", which has no event source in Pounce: the trigger never fires/;
  const plan = await d.cli(["manifest", "plan", m]);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, warning);
  const out = await d.cli(["deploy", "--manifest", m]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, warning);
  assert.doesNotMatch(out.stdout, /\[warn\] trigger "(on_msg|hook)"/);
  const validate = await d.cli(["manifest", "validate", m]);
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stderr, warning);
});
