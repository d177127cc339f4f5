// The Python interpreter without venvs: a project without requirements.txt runs on the bare
// interpreter, a missing module gets AutoKitteh's hint, an old Python is refused, and
// `pounce doctor` / `pounce config where` answer without a daemon.
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { daemonFor, runCli, tempHome, writeProject } from "../helpers/daemon.ts";
import { runHook } from "../helpers/webhook-session.ts";

test("a project without requirements runs on the bare interpreter; a missing module gets the hint", async (t) => {
  const d = await daemonFor(t);
  const m = writeProject(t, {
    "autokitteh.yaml": `version: v1
project:
  name: bare
  triggers:
    - name: hook
      webhook: {}
      call: main.py:on_event
    - name: missing
      webhook: {}
      call: missing.py:on_event
`,
    "main.py": "import sys\n\n\ndef on_event(event):\n    return sys.prefix\n",
    "missing.py": "import pounce_missing_module_xyz\n\n\ndef on_event(event):\n    pass\n",
  });
  const out = await d.cli(["deploy", "--manifest", m]);
  assert.equal(out.code, 0, out.stderr);
  const ok = await runHook(d, out.stdout, "bare");
  assert.equal(ok.state, "completed", ok.error ?? "");
  assert.doesNotMatch(ok.return_value ?? "", /venvs/);

  const failed = await runHook(d, out.stdout, "bare", "missing");
  assert.equal(failed.state, "error");
  assert.match(
    failed.error ?? "",
    /The Python module "pounce_missing_module_xyz" is not installed for this project/,
  );
  assert.match(failed.error ?? "", /requirements.txt next to autokitteh.yaml/);
  assert.match(failed.error ?? "", /requirements\.txt/);
  assert.match(failed.error ?? "", /No module named 'pounce_missing_module_xyz'/);
});

test("pounce up refuses a Python older than 3.11; doctor and config where work without a daemon", async (t) => {
  const home = tempHome(t);
  const fake = join(home, "python3.9");
  writeFileSync(fake, "#!/bin/sh\necho /opt/old/bin/python3.9\necho 3.9.18\n");
  chmodSync(fake, 0o755);
  const up = await runCli(["up", "--port", "0"], {
    ...process.env as Record<string, string>,
    POUNCE_HOME: home,
    POUNCE_PYTHON: fake,
  });
  assert.notEqual(up.code, 0);
  assert.match(up.stderr, /is Python 3\.9\.18; Pounce needs Python 3\.11 or newer/);

  const env = {
    ...process.env as Record<string, string>,
    POUNCE_HOME: home,
    POUNCE_URL: "http://127.0.0.1:1",
  };
  const doctor = await runCli(["doctor"], env);
  assert.equal(doctor.code, 0, doctor.stderr);
  assert.match(doctor.stdout, /daemon: +not running at http:\/\/127\.0\.0\.1:1/);
  assert.match(doctor.stdout, new RegExp(`data dir: ${home}`));
  assert.match(doctor.stdout, /python: +\/\S+ \(Python 3\.\d+\.\d+\) \(found by the CLI\)/);
  assert.match(doctor.stdout, new RegExp(`venvs: +${join(home, "venvs")} \\(0, 0 B\\)`));
  const where = await runCli(["config", "where"], env);
  assert.equal(where.code, 0, where.stderr);
  assert.match(where.stdout, new RegExp(`Data home directory: ${home}`));
});
