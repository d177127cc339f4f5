// Secrets never in clear: a durable session that passes secret values (with quotes,
// backslashes, non-ASCII) to an activity, gets them back, stores them, signals them,
// prints them in every form and fails with them leaves no rendering of them in the
// database file or its WAL (on PostgreSQL: in any row), and the CLI and API show only masks.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { daemonFor, type TestDaemon, writeProject } from "../helpers/daemon.ts";
import { storedBytes } from "../helpers/stored.ts";

const ID = crypto.randomUUID();
const SECRETS = {
  TOK_QUOTES: `it's "q" \\ back-${ID}-a`,
  TOK_UNICODE: `p\u00e4ss-\u65e5\u672c-\u{1F600}-\u00a0-${ID}-b`,
};

const MAIN = `import json
import os

import autokitteh


@autokitteh.activity
def echo(token, extra=None):
    print("in activity", token, repr(extra))
    return {"token": token, "extra": extra}


@autokitteh.activity
def refuse(token):
    raise ValueError("refused " + token)


def main(event):
    a, b = os.environ["TOK_QUOTES"], os.environ["TOK_UNICODE"]
    got = echo(a, extra=[b])
    print("got", got, repr(b), ascii(b), json.dumps(a), json.dumps(b), b.encode())
    try:
        refuse(b)
    except ValueError as err:
        print("caught", repr(err))
    autokitteh.set_value("k", {"a": a, "b": [b]})
    print("stored", autokitteh.get_value("k"))
    autokitteh.signal(event.session_id, "mine", {"a": a})
    print("signal", autokitteh.next_signal("mine", timeout=10).payload)
    autokitteh.sleep(1)  # hibernates: the rest runs on a replay of the sealed journal
    child = autokitteh.start("main.py:child", {})
    print("child", autokitteh.next_signal(child, timeout=30).payload)
    return {"a": a, "b": b}


def child(event):
    return os.environ["TOK_UNICODE"]


def boom(event):
    raise RuntimeError(f"bad {os.environ['TOK_QUOTES']!r} {os.environ['TOK_UNICODE']}")
`;

// Every form of the secrets Python writes: raw, repr, ascii, bytes repr, JSON both ways.
function renderingsByPython(): string[] {
  return JSON.parse(execFileSync("python3", [
    "-c",
    `import json, sys
out = []
for s in json.loads(sys.argv[1]):
    out += [s, repr(s)[1:-1], ascii(s)[1:-1], repr(s.encode())[2:-1], json.dumps(s)[1:-1],
            json.dumps(s, ensure_ascii=False)[1:-1]]
print(json.dumps(out))`,
    JSON.stringify(Object.values(SECRETS)),
  ], { encoding: "utf8" }));
}

async function startSession(d: TestDaemon, fn: string): Promise<string> {
  const { session_id } = await d.api<{ session_id: string }>("/api/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ project: "atrest", entrypoint: `main.py:${fn}`, durable: true }),
  });
  return session_id;
}

test("no rendering of a secret in the database file, its WAL, the CLI or the API", async (t) => {
  const d = await daemonFor(t, {}, ["--hibernate-after", "0.2", "--log-level", "debug"]);
  const deployed = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, {
      "autokitteh.yaml": "version: v1\nproject:\n  name: atrest\n",
      "main.py": MAIN,
    }),
  ]);
  assert.equal(deployed.code, 0, deployed.stderr);
  for (const [name, value] of Object.entries(SECRETS)) {
    const res = await d.cli(["var", "set", name, value, "--project", "atrest", "--secret"]);
    assert.equal(res.code, 0, res.stderr);
  }

  const ok = await startSession(d, "main");
  const failed = await startSession(d, "boom");
  const s = await d.waitSession(ok, 60_000);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.match(s.return_value ?? "", /\*{8}/);
  const f = await d.waitSession(failed, 60_000);
  assert.equal(f.state, "error");
  assert.match(f.error ?? "", /bad '?\*{8}'? \*{8}/);
  const prints = await d.prints(ok);
  assert.equal(prints.length, 6, prints.join("\n"));
  for (const p of prints) assert.match(p, /\*{8}/, p);
  assert.match(d.stderr, new RegExp(`session hibernated.*${ok}`), "replayed");

  // What users see: CLI, API (including the child's), live tail.
  const { sessions } = await d.api<{ sessions: { session_id: string }[] }>(
    "/api/sessions?project=atrest",
  );
  assert.equal(sessions.length, 3);
  const shown: string[] = [];
  for (const { session_id: id } of sessions) {
    for (const args of [["session", "get"], ["session", "log"], ["session", "prints"]]) {
      const res = await d.cli([...args, id]);
      assert.equal(res.code, 0, res.stderr);
      shown.push(res.stdout + res.stderr);
    }
    const tail = await d.cli(["session", "log", id, "--tail", "--json"]);
    shown.push(tail.stdout + tail.stderr);
    shown.push(JSON.stringify(await d.api(`/api/sessions/${id}`)));
    shown.push(JSON.stringify(await d.api(`/api/sessions/${id}/log`)));
  }
  shown.push(d.stderr);
  for (const out of shown) assert.ok(!out.includes(ID), `secret shown:\n${out}`);
  assert.ok(shown.join("").includes("********"));

  // The store and signals still give the values back to sessions (checked by the prints
  // above: 6 prints, so every step ran).
  const stored = await storedBytes(d);
  assert.ok(stored.length >= 1);
  const forms = renderingsByPython();
  for (const { where, bytes } of stored) {
    for (const form of [ID, ...forms]) {
      assert.equal(bytes.indexOf(Buffer.from(form, "utf8")), -1, `${form} in ${where}`);
    }
  }
});
