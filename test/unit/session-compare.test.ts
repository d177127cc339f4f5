// `pounce session test`'s comparison: AutoKitteh's runtime-specific text in an expected
// file (its gRPC prefix, its runner's frames, its help banners) against Pounce's output.
import assert from "node:assert/strict";
import { test } from "node:test";
import { comparable, judge, readCase } from "../../src/cli/session-test.ts";

const RULE = "=".repeat(103);
const AK_PACKAGE = [
  RULE,
  "The below error means you need to add a package to the Python environment.",
  "Web platform: Create a requirements.txt file and add module to the requirements.txt file.",
  "Self hosted: add module to AutoKitteh virtual environment. ",
  "See https://docs.autokitteh.com/develop/python#installing-python-packages for more details.",
  RULE,
].join("\n");
const AK_ACTIVITY = [
  RULE,
  "The below error means you need to use the @autokitteh.activity decorator.",
  "See https://docs.autokitteh.com/develop/python/#function-arguments-and-return-values-must-be-pickleable",
  "for more details.",
  RULE,
].join("\n");
const POUNCE_PACKAGE = [
  RULE,
  'The Python module "garfield" is not installed for this project. Add the package that provides',
  'it to requirements.txt next to autokitteh.yaml (one a line, e.g. "requests" or',
  '"requests==2.32.3") and deploy again: Pounce installs it into the project\'s environment.',
  RULE,
].join("\n");
const POUNCE_ACTIVITY = [
  RULE,
  "activity 'boom' returned a value of type main.U that cannot be pickled, so it cannot be journaled.",
  "Move the code that creates and uses it into a function decorated with @autokitteh.activity,",
  "which runs as one activity and returns something picklable.",
  RULE,
].join("\n");

function verdict(txtar: string, prints: string[], error: string | null = null) {
  const c = readCase(txtar, true);
  return judge(c, true, {
    prints,
    state: error === null ? "completed" : "error",
    error,
    calls: [],
  });
}

test("gRPC transport prefixes are dropped from expected lines", () => {
  assert.equal(
    comparable(
      'subscribe: rpc error: code = Internal desc = subscribe(a, b) -> source "a" not found',
    ),
    'subscribe: subscribe(a, b) -> source "a" not found',
  );
  const v = verdict(
    'subscribe: rpc error: code = Internal desc = subscribe(meow, woof) -> source "meow" not found\n-- main.py:main --\n',
    ['subscribe: subscribe(meow, woof) -> source "meow" not found'],
  );
  assert.ok(v.ok, v.report.join("\n"));
});

test("an ak-runner frame and its source line match none or any runner frames", () => {
  const expected = [
    "error: X()",
    "",
    "Traceback (most recent call last):",
    "   ak-runner",
    "    value = fn(*args, **kw)",
    '  File "main.py", line 4, in main',
    "    raise X()",
    "main.X",
  ].join("\n");
  const none = [
    "error: X()",
    "",
    "Traceback (most recent call last):",
    '  File "main.py", line 4, in main',
    "    raise X()",
    "main.X",
  ];
  assert.equal(comparable(expected), none.join("\n"));
  // Pounce's own runner frames (normalized to "ak-runner" too) are dropped the same way.
  const withOurs = [
    ...none.slice(0, 3),
    '  File "/opt/pounce/py-sdk/pounce/runner/gate.py", line 120, in call_handler',
    "    return fn(event)",
    ...none.slice(3),
  ].join("\n");
  assert.equal(comparable(withOurs), none.join("\n"));
  const v = verdict(`-- main.py:main --\n-- error.txt --\n${expected}\n`, [], none.join("\n"));
  assert.ok(v.ok, v.report.join("\n"));
});

test("a traceback of runner frames only loses its header; AutoKitteh's activity hand-off frames are the runner's", () => {
  assert.equal(
    comparable(
      "error: T()\n\nTraceback (most recent call last):\n   ak-runner\n    data = pickle.dumps(result)\nTypeError: no",
    ),
    "error: T()\n\nTypeError: no",
  );
  const futures = [
    'File "/usr/lib/python3.13/concurrent/futures/_base.py", line 456, in result',
    "    return self.__get_result()",
  ];
  assert.equal(
    comparable(`Traceback (most recent call last):\n  ${futures.join("\n")}\nX: 1`),
    "X: 1",
  );
  // Other standard-library frames stay.
  assert.match(
    comparable('  File "/usr/lib/python3.13/json/decoder.py", line 3, in decode\n    x()'),
    /py-lib\/json\/decoder\.py, line XXX, in decode/,
  );
});

test("an AutoKitteh help banner matches Pounce's advice of the same kind, and only that kind", () => {
  const pkg = verdict(`can't load main from - \n${AK_PACKAGE}\n\nerror: E\n-- main.py:main --\n`, [
    `can't load main from - \n${POUNCE_PACKAGE}\n\nerror: E`,
  ]);
  assert.ok(pkg.ok, pkg.report.join("\n"));
  const act = verdict(`error: x\n${AK_ACTIVITY}\n\nerror: E\n-- main.py:main --\n`, [
    `error: x\n${POUNCE_ACTIVITY}\n\nerror: E`,
  ]);
  assert.ok(act.ok, act.report.join("\n"));
  const wrongKind = verdict(`error: x\n${AK_ACTIVITY}\n-- main.py:main --\n`, [
    `error: x\n${POUNCE_PACKAGE}`,
  ]);
  assert.equal(wrongKind.ok, false);
  assert.match(wrongKind.report.join("\n"), /-\[advice: use the @autokitteh\.activity decorator\]/);
  assert.match(wrongKind.report.join("\n"), /\+\[advice: add a package\]/);
  // A banner that is missing on one side is a difference.
  assert.equal(verdict(`${AK_PACKAGE}\n-- main.py:main --\n`, ["error: E"]).ok, false);
  // A block of "=" lines of no known kind is compared as it is.
  const other = `${RULE}\nsomething else\n${RULE}`;
  assert.equal(comparable(other), other);
  assert.equal(verdict(`${other}\n-- main.py:main --\n`, [POUNCE_ACTIVITY]).ok, false);
});

test("banners in an expected error file match too, line by line in order", () => {
  const v = verdict(
    `-- main.py:main --\n-- error.txt --\nrpc error: code = InvalidArgument desc = can't load main from - \n${AK_PACKAGE}\nerror: E\n`,
    [],
    `can't load main from /x/builds/bld_1 - \n${POUNCE_PACKAGE}\n\nerror: E\n\nTraceback...`,
  );
  assert.ok(v.ok, v.report.join("\n"));
});

test("Python's error-location markers are dropped, including ~^~ under a binary operator", () => {
  assert.equal(comparable("    1/0\n    ~^~\n    f(x)\n    ~^^^\n    ^^^^^"), "    1/0\n    f(x)");
  // A line that only starts with such characters stays.
  assert.equal(comparable("    ~x"), "    ~x");
});

test("an expected error file can still check the words of Pounce's advice", () => {
  const v = verdict(
    `-- main.py:main --\n-- error.txt --\nThe Python module "garfield" is not installed for this project.\nerror: E\n`,
    [],
    `${POUNCE_PACKAGE}\n\nerror: E`,
  );
  assert.ok(v.ok, v.report.join("\n"));
});
