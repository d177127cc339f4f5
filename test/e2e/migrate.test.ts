// `pounce migrate`: a single-node libSQL database (a deployment, sessions with activities,
// store values, a secret var) copied to PostgreSQL, then served by a daemon on it: the
// sessions, their logs and the store are what they were, the secret var still opens (the
// same data dir, so the same secret key), and a new webhook starts a new session (the
// event and log sequences go on after the copied ones). The copy refuses while the
// source's daemon runs and into a non-empty database unless --force names it. Runs
// whenever the test PostgreSQL server answers (test/helpers/pg.ts).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { tempHome, TestDaemon, writeProject } from "../helpers/daemon.ts";
import { dropDatabase, freshDatabase, PG_SERVER, reachable } from "../helpers/pg.ts";
import { runHook } from "../helpers/webhook-session.ts";

const skip = await reachable(PG_SERVER)
  ? false
  : "no PostgreSQL server for tests (set POUNCE_TEST_PG; see test/helpers/pg.ts)";

const TOKEN = `tok-${crypto.randomUUID()}`;
const digest = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16);

const MAIN = `import hashlib
import os

import autokitteh


@autokitteh.activity
def double(n):
    return n * 2


def on_hook(event):
    token = os.environ["TOKEN"]
    print("token", hashlib.sha256(token.encode()).hexdigest()[:16])
    print("doubled", double(21))
    print("count", autokitteh.add_values("count", 1))
`;

async function sessionsOf(d: TestDaemon): Promise<unknown> {
  const list = await d.cli(["session", "list", "--project", "mig", "--json"]);
  assert.equal(list.code, 0, list.stderr);
  return JSON.parse(list.stdout);
}

async function logOf(d: TestDaemon, id: string): Promise<string> {
  const log = await d.cli(["session", "log", id, "--json"]);
  assert.equal(log.code, 0, log.stderr);
  return log.stdout;
}

function migrate(d: TestDaemon, ...args: string[]) {
  return d.cli(["migrate", ...args]);
}

test(
  "a libSQL database migrated to PostgreSQL is served as it was",
  { skip },
  async (t: TestContext) => {
    const home = tempHome(t);
    const file = `file:${join(home, "pounce.db")}`;
    const single = new TestDaemon(home);
    t.after(() => single.kill());
    await single.start(["--db", file]);
    const deployed = await single.cli([
      "deploy",
      "--manifest",
      writeProject(t, {
        "autokitteh.yaml": `version: v1
project:
  name: mig
  vars:
    - name: TOKEN
      value: placeholder
  triggers:
    - name: hook
      webhook: {}
      call: main.py:on_hook
`,
        "main.py": MAIN,
      }),
    ]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const set = await single.cli(["var", "set", "TOKEN", TOKEN, "--project", "mig", "--secret"]);
    assert.equal(set.code, 0, set.stderr);
    const before = [];
    for (let i = 1; i <= 2; i++) {
      const s = await runHook(single, deployed.stdout, "mig");
      assert.equal(s.state, "completed", s.error ?? "");
      assert.deepEqual(await single.prints(s.session_id), [
        `token ${digest(TOKEN)}`,
        "doubled 42",
        `count ${i}`,
      ]);
      before.push(s.session_id);
    }

    const url = await freshDatabase(PG_SERVER);
    t.after(() => dropDatabase(url));
    const target = new URL(url).pathname.slice(1);

    // Not while the source's daemon runs.
    const busy = await migrate(single, "--from", file, "--to", url);
    assert.equal(busy.code, 42, busy.stderr);
    assert.match(busy.stderr, /in use by pounce/);

    const sessions = await sessionsOf(single);
    const logs = await Promise.all(before.map((id) => logOf(single, id)));
    await single.stop();

    const copied = await migrate(single, "--from", file, "--to", url);
    assert.equal(copied.code, 0, copied.stderr);
    assert.match(copied.stdout, /^migrated \d+ rows in \d+ tables/);
    assert.match(copied.stderr, /copied session_steps: 4 rows/);

    // A second copy: not into a database that holds rows, unless --force names it.
    const again = await migrate(single, "--from", file, "--to", url);
    assert.equal(again.code, 42);
    assert.match(again.stderr, new RegExp(`not empty .*--force ${target}`));
    const wrong = await migrate(single, "--from", file, "--to", url, "--force", "other");
    assert.equal(wrong.code, 42);
    assert.match(wrong.stderr, /--force names "other"/);
    const forced = await migrate(single, "--from", file, "--to", url, "--force", target, "--json");
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(
      JSON.parse(forced.stdout).tables.find((x: { name: string }) => x.name === "sessions").rows,
      2,
    );

    // The same data dir: the same secret key opens the sealed var.
    const onPg = new TestDaemon(home);
    t.after(() => onPg.kill());
    await onPg.start(["--db", url]);
    assert.deepEqual(await sessionsOf(onPg), sessions);
    assert.deepEqual(await Promise.all(before.map((id) => logOf(onPg, id))), logs);
    const next = await runHook(onPg, deployed.stdout, "mig");
    assert.equal(next.state, "completed", next.error ?? "");
    assert.deepEqual(await onPg.prints(next.session_id), [
      `token ${digest(TOKEN)}`,
      "doubled 42",
      "count 3",
    ]);
  },
);
