// AutoKitteh's earlier manifest shapes deploy and run: a valueless `vars:`, a trigger's
// `entrypoint` (the earlier `call`) and its `data` (ignored, with a warning).
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, webhookPath, writeProject } from "../helpers/daemon.ts";

const manifest = `version: v1
project:
  name: legacy_shapes
  vars:
  triggers:
    - name: hook
      webhook: {}
      data:
        path: old_style
      entrypoint: main.py:on_event
`;

const warning = `[warn] trigger "hook": "data" (AutoKitteh's earlier trigger data) is ignored`;

test("an earlier AutoKitteh manifest validates, deploys with a warning, and runs", async (t) => {
  const d = await daemonFor(t);
  const m = writeProject(t, {
    "autokitteh.yaml": manifest,
    "main.py": "def on_event(event):\n    return 'done'\n",
  });
  const checked = await d.cli(["manifest", "validate", m]);
  assert.equal(checked.code, 0, checked.stderr);
  assert.ok(checked.stderr.includes(warning), checked.stderr);

  const out = await d.cli(["deploy", "--manifest", m]);
  assert.equal(out.code, 0, out.stderr);
  assert.ok((out.stdout + out.stderr).includes(warning), out.stdout + out.stderr);
  const path = webhookPath(out.stdout, "hook");
  assert.equal((await fetch(d.url + path, { method: "POST" })).status, 202);
  const s = await d.waitSession("legacy_shapes");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.equal(s.return_value, "'done'");
});
