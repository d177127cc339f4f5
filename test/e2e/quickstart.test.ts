// The README's quickstart, end to end: the seed's example project, unchanged.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { daemonFor, pounceCommand, ROOT, webhookPath } from "../helpers/daemon.ts";

// Once as the tests run pounce (on Node or Deno), once as the README does: `bin/pounce`.
const RUNS: [string, string[]][] = [
  ["", pounceCommand()],
  [" (bin/pounce)", [join(ROOT, "bin/pounce")]],
];

for (const [how, command] of RUNS) {
  test(`the seed example deploys, a webhook starts it, its prints come back${how}`, async (t) => {
    const d = await daemonFor(t, {}, [], command);
    const deployed = await d.cli([
      "deploy",
      "--manifest",
      join(ROOT, "examples/simple/autokitteh.yaml"),
    ]);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(deployed.stdout, /\[exec\] create_project "py_simple": prj_\w+ created/);
    const path = webhookPath(deployed.stdout, "events");
    assert.match(path, /^\/webhooks\/[0-9a-z]{26}$/);

    const res = await fetch(d.url + path, {
      method: "POST",
      body: JSON.stringify({ user: "joe", event: "login" }),
    });
    assert.equal(res.status, 202);
    const eventId = res.headers.get("AutoKitteh-Event-ID");
    assert.match(eventId ?? "", /^evt_/);

    const session = await d.waitSession("py_simple");
    assert.equal(session.state, "completed", session.error ?? "");

    const prints = await d.cli(["session", "prints", "py_simple"]);
    assert.equal(prints.code, 0, prints.stderr);
    const lines = prints.stdout.trim().split("\n");
    assert.equal(lines[0], `INFO: simple: HOME: ${process.env.HOME}`);
    assert.equal(lines[1], "INFO: simple: USER: Garfield");
    assert.match(lines[2], /^INFO: simple: event: /);
    assert.match(lines[3], /^BODY: /);
    assert.equal(lines[4], "REQUEST: {'user': 'joe', 'event': 'login'}");
  });
}
