// The txtar session cases of test/sessions/, each run by `pounce session test` in the
// modes it applies to (`*.durable.txtar` durable only, `*.nondurable.txtar` non-durable
// only, others both), against one daemon; and the verdicts of `session test` itself.
// The ak_*.txtar cases are AutoKitteh's own Python session cases (its repository,
// Apache-2.0), unchanged but for their names: they exercise the comparison rules for
// AutoKitteh's runtime-specific text (docs/cli.md "session test").
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type CliResult, daemonFor, ROOT, type TestDaemon } from "../helpers/daemon.ts";

const DIR = join(ROOT, "test/sessions");

type Mode = "durable" | "non-durable";

function modesOf(file: string): Mode[] {
  if (file.endsWith(".durable.txtar")) return ["durable"];
  if (file.endsWith(".nondurable.txtar")) return ["non-durable"];
  return ["durable", "non-durable"];
}

function sessionTest(d: TestDaemon, path: string, project: string, durable: boolean) {
  return d.cli([
    "session",
    "test",
    path,
    "--project",
    project,
    "--timeout",
    "60s",
    ...(durable ? ["--durable"] : []),
  ]);
}

function report(res: CliResult): string {
  return `exit ${res.code}\n${res.stdout}${res.stderr}`;
}

const files = readdirSync(DIR).filter((f) => f.endsWith(".txtar")).sort();

// One `pounce session test` run per mode with every case of that mode: each case is its
// own project, and the run reports each case on its own line.
test("every case in test/sessions passes `pounce session test`", async (t) => {
  assert.ok(files.length >= 20, `only ${files.length} cases found in ${DIR}`);
  const d = await daemonFor(t);
  await Promise.all((["durable", "non-durable"] as Mode[]).map(async (mode) => {
    const cases = files.filter((f) => modesOf(f).includes(mode));
    const res = await d.cli([
      "session",
      "test",
      ...cases.map((f) => join(DIR, f)),
      "--project",
      mode === "durable" ? "case_d" : "case_n",
      "--timeout",
      "60s",
      ...(mode === "durable" ? ["--durable"] : []),
    ]);
    assert.equal(res.code, 0, `${mode}: exit ${res.code}\n${res.stdout}${res.stderr}`);
    for (const f of cases) {
      assert.match(res.stdout, new RegExp(`^ok .*${f.replace(/\./g, "\\.")} \\(${mode}\\)`, "m"));
    }
  }));
});

// `session test` must also fail when it should: a wrong expectation of each kind.
test("`pounce session test` reports each kind of mismatch and exits non-zero", async (t) => {
  const d = await daemonFor(t);
  const dir = mkdtempSync(join(tmpdir(), "pounce-cases-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const code = [
    "import random",
    "",
    "def main(event):",
    '    print("one")',
    "    random.random()",
    '    print("two")',
    "",
  ].join("\n");

  const good = write(
    "good.txtar",
    `one\ntwo\n-- main.py:main --\n${code}-- calls.txt --\nrandom\n`,
  );
  const ok = await sessionTest(d, good, "meta_good", true);
  assert.equal(ok.code, 0, report(ok));

  const prints = write("prints.txtar", `one\nthree\n-- main.py:main --\n${code}`);
  const badPrints = await sessionTest(d, prints, "meta_prints", false);
  assert.notEqual(badPrints.code, 0, report(badPrints));
  assert.match(badPrints.stderr, /prints differ:/);
  assert.match(badPrints.stderr, /^-three$/m);
  assert.match(badPrints.stderr, /^\+two$/m);

  const calls = write(
    "calls.txtar",
    `one\ntwo\n-- main.py:main --\n${code}-- calls.txt --\nrandint  # wrong\n`,
  );
  const badCalls = await sessionTest(d, calls, "meta_calls", true);
  assert.notEqual(badCalls.code, 0, report(badCalls));
  assert.match(badCalls.stderr, /calls differ:/);
  assert.match(badCalls.stderr, /^-randint$/m);
  assert.match(badCalls.stderr, /^\+random$/m);
  // calls.txt is only checked in durable mode.
  const nondurableCalls = await sessionTest(d, calls, "meta_calls_n", false);
  assert.equal(nondurableCalls.code, 0, report(nondurableCalls));

  const error = write(
    "error.txtar",
    `one\ntwo\n-- main.py:main --\n${code}-- error.txt --\nsomething went wrong\n`,
  );
  const noError = await sessionTest(d, error, "meta_error", false);
  assert.notEqual(noError.code, 0, report(noError));
  assert.match(noError.stderr, /expected an error, but the session ended completed/);

  const order = write(
    "order.txtar",
    "-- main.py:main --\ndef main(event):\n    raise ValueError('alpha')\n" +
      "-- error.txt --\nValueError: alpha\nerror: ValueError('alpha')\n",
  );
  const outOfOrder = await sessionTest(d, order, "meta_order", false);
  assert.notEqual(outOfOrder.code, 0, report(outOfOrder));
  assert.match(
    outOfOrder.stderr,
    /expected line not found \(in order\): error: ValueError\('alpha'\)/,
  );

  // Without --project each run has a fresh project (its own store), removed when it
  // passes; a session ending in error passes when there is no error file to compare.
  const store = write(
    "store.txtar",
    "None\n-- main.py:main --\nimport autokitteh\n\n\ndef main(event):\n" +
      '    print(autokitteh.get_value("k"))\n    autokitteh.set_value("k", 1)\n' +
      '    raise ValueError("ends in error")\n',
  );
  for (let run = 0; run < 2; run++) {
    const fresh = await d.cli(["session", "test", store]);
    assert.equal(fresh.code, 0, report(fresh));
  }
  const projects = await d.api<{ projects: { name: string }[] }>("/api/projects");
  assert.deepEqual(projects.projects.filter((p) => p.name.startsWith("session_test")), []);
  assert.equal((await sessionTest(d, store, "meta_store", false)).code, 0);
  const shared = await sessionTest(d, store, "meta_store", false);
  assert.notEqual(shared.code, 0, report(shared));
  assert.match(shared.stderr, /^-None$/m);

  // Of several cases, one that cannot run fails alone; the others still run.
  const several = await d.cli(["session", "test", join(dir, "nope.txtar"), good]);
  assert.equal(several.code, 1, report(several));
  assert.match(
    several.stderr,
    /^FAIL .*nope\.txtar \(non-durable\) -\n.*cannot read|^FAIL .*nope\.txtar/m,
  );
  assert.match(several.stdout, /^ok .*good\.txtar \(non-durable\)/m);

  const missing = await sessionTest(d, join(dir, "nope.txtar"), "meta_missing", false);
  assert.equal(missing.code, 40, report(missing));
  const noEntry = write("noentry.txtar", "-- helper.py --\nx = 1\n");
  const badHeader = await sessionTest(d, noEntry, "meta_header", false);
  assert.equal(badHeader.code, 40, report(badHeader));
  assert.match(badHeader.stderr, /must be an entrypoint like "main\.py:main"/);
});
