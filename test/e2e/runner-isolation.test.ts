// What session code can reach of the daemon: not its settings and daemon-wide secrets in
// the environment; and, when the daemon runs as root, runners run as `nobody`, so neither
// the data dir's secrets (token, secret.key, the database) nor any process environment
// holding a daemon secret can be read.
import assert from "node:assert/strict";
import { chmodSync, cpSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { daemonFor, ROOT, tempHome, TestDaemon, writeProject } from "../helpers/daemon.ts";
import { TEST_DB } from "../helpers/pg.ts";

// As root, runners drop to nobody; they need an interpreter nobody can run (the test's
// own may live under /root).
const SYSTEM_PYTHON = "/usr/bin/python3";
const DROPS = process.getuid?.() === 0 && existsSync(SYSTEM_PYTHON);
const SLACK = "slack-signing-" + crypto.randomUUID();
const GITHUB = "github-webhook-" + crypto.randomUUID();
const KEY = "ab".repeat(32);

const MAIN = `import json
import os


def probe(path, how):
    try:
        how(path)
        return "read"
    except PermissionError:
        return "denied"
    except OSError as err:
        return type(err).__name__


def read(path):
    with open(path, "rb") as f:
        f.read(1)


def main(event):
    home = os.environ["DATA_DIR"]
    leaked = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        if b"${SLACK}" in env or b"${GITHUB}" in env or b"${KEY}" in env:
            leaked.append(pid)
    print(json.dumps({
        "uid": os.getuid(),
        "env": sorted(k for k in os.environ if k.startswith("POUNCE_") or k.endswith("_SECRET")),
        "files": {name: probe(os.path.join(home, name), read)
                  for name in ["secret.key", "token", "pounce.db", "node-id"]},
        "listing": probe(home, os.listdir),
        "proc_environ": leaked,
    }))
`;

// Fork runners with the secrets key in <data dir>/secret.key, spawned ones with it in the
// daemon's environment.
for (const runner of ["fork", "spawn"]) {
  test(`a session cannot read the daemon's secrets (${runner} runners)`, async (t) => {
    const keyInEnv = runner === "spawn";
    const d = await daemonFor(t, {
      SLACK_SIGNING_SECRET: SLACK,
      GITHUB_WEBHOOK_SECRET: GITHUB,
      ...(keyInEnv ? { POUNCE_SECRET_KEY: KEY } : {}),
      POUNCE_SLACK_API_URL: "http://127.0.0.1:1/slack",
      ...(DROPS ? { POUNCE_PYTHON: SYSTEM_PYTHON } : {}),
    }, ["--runner", runner, ...(DROPS ? ["--runner-user", "nobody"] : [])]);
    const manifest = writeProject(t, {
      "autokitteh.yaml": `version: v1
project:
  name: isolation
  vars:
    - name: DATA_DIR
      value: ${d.home}
`,
      "main.py": MAIN,
    });
    const deployed = await d.cli(["deploy", "--manifest", manifest]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const { session_id } = await d.api<{ session_id: string }>("/api/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ project: "isolation", entrypoint: "main.py:main" }),
    });
    const s = await d.waitSession(session_id, 60_000);
    assert.equal(s.state, "completed", s.error ?? "");
    const seen = JSON.parse((await d.prints(session_id))[0]);
    // The SDK's API URLs are the only POUNCE_* settings sessions see.
    assert.deepEqual(seen.env, ["POUNCE_DURABLE", "POUNCE_SLACK_API_URL"]);
    if (!DROPS) return t.diagnostic("runners run as the daemon's user (not root)");
    assert.notEqual(seen.uid, 0);
    assert.deepEqual(seen.files, {
      "secret.key": keyInEnv ? "FileNotFoundError" : "denied",
      token: "denied",
      // On PostgreSQL (POUNCE_TEST_DB) the data dir holds no database file.
      "pounce.db": TEST_DB ? "FileNotFoundError" : "denied",
      "node-id": "denied",
    });
    assert.equal(seen.listing, "denied");
    assert.deepEqual(seen.proc_environ, []);
  });
}

// The single binary keeps the py-sdk in the data dir (<data dir>/py-sdk/<version>/, made
// 0700): the runner user is let into it, and only into it.
test("a py-sdk inside the data dir is opened to the runner user", { skip: !DROPS }, async (t) => {
  const home = tempHome(t);
  const sdk = join(home, "py-sdk", "v1");
  mkdirSync(sdk, { recursive: true, mode: 0o700 });
  cpSync(join(ROOT, "py-sdk", "pounce"), join(sdk, "pounce"), { recursive: true });
  cpSync(join(ROOT, "py-sdk", "autokitteh"), join(sdk, "autokitteh"), { recursive: true });
  chmodSync(home, 0o700);
  const d = new TestDaemon(home, { POUNCE_PYTHON: SYSTEM_PYTHON, POUNCE_SDK_DIR: sdk });
  t.after(() => d.kill());
  await d.start(["--runner-user", "nobody"]);
  const manifest = writeProject(t, {
    "autokitteh.yaml": "version: v1\nproject:\n  name: sdk\n",
    "main.py": "import os\n\ndef main(event):\n    print(os.getuid())\n",
  });
  assert.equal((await d.cli(["deploy", "--manifest", manifest])).code, 0);
  const { session_id } = await d.api<{ session_id: string }>("/api/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ project: "sdk", entrypoint: "main.py:main" }),
  });
  const s = await d.waitSession(session_id, 60_000);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.notEqual((await d.prints(session_id))[0], "0");
});
