// The default environment ("batteries"): built once with real pip from the configured index
// the first time a project imports one of its packages, reused by the next, layered under a
// project's requirements.txt; what pip cannot install is named, not fatal; doctor lists it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { EnvironmentJson } from "../../src/pythonrt/environment.ts";
import { daemonFor, writeProject } from "../helpers/daemon.ts";
import { runHook } from "../helpers/webhook-session.ts";

// A short list keeps the build to seconds; slack-sdk is not in this machine's index. No pip
// retries of an index out of reach (see venv.test.ts).
const ENV = { PIP_RETRIES: "0", POUNCE_BATTERIES: "requests beautifulsoup4 slack-sdk" };

const manifest = (name: string) =>
  `version: v1
project:
  name: ${name}
  triggers:
    - name: hook
      webhook: {}
      call: main.py:on_event
`;

test("default environment: built once on first need, reused, under requirements.txt, doctor", async (t) => {
  const d = await daemonFor(t, ENV);
  const venvs = join(d.home, "venvs");

  // A project importing requests and bs4 (and slack_sdk, which the index lacks), without
  // requirements.txt: the default environment is built, with pip's progress.
  const a = writeProject(t, {
    "autokitteh.yaml": manifest("bat_a"),
    "main.py": `import sys

import requests
from bs4 import BeautifulSoup


def on_event(event):
    try:
        import slack_sdk  # noqa: F401
    except ImportError:
        print("no slack_sdk")
    print("title", BeautifulSoup("<title>hi</title>", "html.parser").title.string)
    print("requests", requests.__name__)
    return sys.prefix
`,
  });
  const outA = await d.cli(["deploy", "--manifest", a]);
  assert.equal(outA.code, 0, outA.stderr);
  assert.match(outA.stderr, /\[exec\] build_venv: creating the default environment "[0-9a-f]{16}"/);
  assert.match(outA.stderr, /\[pip\] Successfully installed .*beautifulsoup4/);
  assert.match(outA.stderr, /\[pip\] Successfully installed .*requests/);
  const key = outA.stdout.match(/build_venv: created the default environment "([0-9a-f]{16})"/)
    ?.[1];
  assert.ok(key, outA.stdout);
  assert.match(
    outA.stdout,
    /\[warn\] slack_sdk \(package slack-sdk\) is not in the default environment: pip could not install it \(No matching distribution found for slack-sdk\)/,
  );
  assert.doesNotMatch(outA.stdout, /\[warn\] (requests|bs4) /);
  const sa = await runHook(d, outA.stdout, "bat_a");
  assert.equal(sa.state, "completed", sa.error ?? "");
  assert.equal(sa.return_value, `'${join(venvs, key)}'`);
  assert.deepEqual(await d.prints(sa.session_id), [
    "no slack_sdk",
    "title hi",
    "requests requests",
  ]);

  // A second project reuses it without pip; its missing slack_sdk gets Pounce's message.
  const b = writeProject(t, {
    "autokitteh.yaml": manifest("bat_b"),
    "main.py": `import requests


def on_event(event):
    import slack_sdk

    return slack_sdk, requests
`,
  });
  const outB = await d.cli(["deploy", "--manifest", b]);
  assert.equal(outB.code, 0, outB.stderr);
  assert.match(outB.stdout, new RegExp(`build_venv: reused the default environment "${key}"`));
  assert.doesNotMatch(outB.stderr, /\[pip\]/);
  const sb = await runHook(d, outB.stdout, "bat_b");
  assert.equal(sb.state, "error");
  assert.match(
    sb.error ?? "",
    /The Python module "slack_sdk" is not installed for this project: Pounce's default environment\nlacks its package slack-sdk \(No matching distribution found for slack-sdk\)/,
  );

  // requirements.txt adds to it: tenacity in the project's own venv, requests still from
  // the default environment (not installed again).
  const c = writeProject(t, {
    "autokitteh.yaml": manifest("bat_c"),
    "requirements.txt": "tenacity\n",
    "main.py": `import requests
import tenacity


def on_event(event):
    return [requests.__file__, tenacity.__file__]
`,
  });
  const outC = await d.cli(["deploy", "--manifest", c]);
  assert.equal(outC.code, 0, outC.stderr);
  assert.match(outC.stdout, new RegExp(`build_venv: reused the default environment "${key}"`));
  const own = outC.stdout.match(/build_venv: created "([0-9a-f]{16})"/)?.[1];
  assert.ok(own && own !== key, outC.stdout);
  assert.match(outC.stderr, /\[pip\] Successfully installed tenacity/);
  assert.doesNotMatch(outC.stderr, /Successfully installed .*requests/);
  const sc = await runHook(d, outC.stdout, "bat_c");
  assert.equal(sc.state, "completed", sc.error ?? "");
  const [requestsFile, tenacityFile] = JSON.parse(sc.return_value!.replaceAll("'", '"'));
  assert.ok(requestsFile.startsWith(join(venvs, key) + "/"), requestsFile);
  assert.ok(tenacityFile.startsWith(join(venvs, own) + "/"), tenacityFile);

  // Only the standard library (a comment naming requests aside): no venv at all.
  const e = writeProject(t, {
    "autokitteh.yaml": manifest("bat_e"),
    "main.py": "import json\n\n\n# requests arrive as JSON\ndef on_event(event):\n    pass\n",
  });
  const outE = await d.cli(["deploy", "--manifest", e]);
  assert.equal(outE.code, 0, outE.stderr);
  assert.doesNotMatch(outE.stdout + outE.stderr, /build_venv|default environment/);

  // doctor: what the default environment holds and lacks, and who uses it.
  const doctor = await d.cli(["doctor", "--json"]);
  assert.equal(doctor.code, 0, doctor.stderr);
  const report = JSON.parse(doctor.stdout) as EnvironmentJson;
  const env = report.default_environment!;
  assert.equal(env.key, key);
  assert.equal(env.built, true);
  assert.deepEqual(env.packages, ["requests", "beautifulsoup4", "slack-sdk"]);
  const names = env.installed!.map((p) => p.name.toLowerCase());
  assert.ok(names.includes("requests") && names.includes("beautifulsoup4"), names.join(" "));
  assert.equal(env.failed!.length, 1);
  assert.equal(env.failed![0].package, "slack-sdk");
  assert.match(env.failed![0].reason, /No matching distribution found for slack-sdk/);
  assert.equal(env.unreachable, null);
  const listed = report.venvs.find((v) => v.key === key)!;
  assert.equal(listed.default_environment, true);
  assert.deepEqual(listed.projects, ["bat_a", "bat_b", "bat_c"]);
  const text = await d.cli(["doctor"]);
  assert.match(
    text.stdout,
    /default environment: \S+ \(2 of 3 packages\)\n {2}requests==[\d.]+\n {2}beautifulsoup4==[\d.]+\n/,
  );
  assert.match(
    text.stdout,
    /not installed: slack-sdk: No matching distribution found for slack-sdk/,
  );
});

test("default environment: no package index reachable, said once; the deploy goes on", async (t) => {
  // pip's configuration replaced by an index on a closed loopback port.
  const d = await daemonFor(t, {
    PIP_RETRIES: "0",
    PIP_CONFIG_FILE: "/dev/null",
    PIP_INDEX_URL: "http://127.0.0.1:9/simple",
    PIP_FIND_LINKS: "/nonexistent-pounce-links",
    POUNCE_BATTERIES: "requests tenacity",
  });
  const m = writeProject(t, {
    "autokitteh.yaml": manifest("bat_offline"),
    "main.py": "import requests\n\n\ndef on_event(event):\n    pass\n",
  });
  const out = await d.cli(["deploy", "--manifest", m]);
  assert.equal(out.code, 0, out.stderr);
  const warnings = out.stdout.split("\n").filter((l) => l.startsWith("[warn]"));
  assert.deepEqual(warnings, [
    "[warn] the default environment is empty: pip could not reach a package index (Failed to establish a new connection: [Errno 111] Connection refused)",
    "[warn] requests (package requests) is not in the default environment: no package index could be reached",
  ]);
  const doctor = await d.cli(["doctor"]);
  assert.match(
    doctor.stdout,
    /default environment: \S+ \(0 of 2 packages\)\n {2}pip could not reach a package index: Failed to establish a new connection/,
  );
});
