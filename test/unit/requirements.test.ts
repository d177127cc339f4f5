// requirements.txt: the venv key, and the packages Pounce provides left to it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { installable, venvKey } from "../../src/pythonrt/requirements.ts";

const py = { executable: "/usr/bin/python3", version: "3.11.7" };
const bytes = (s: string) => new TextEncoder().encode(s);

test("the venv key follows the file and the interpreter", () => {
  const key = venvKey(py, bytes("PyGithub\n"));
  assert.match(key, /^[0-9a-f]{16}$/);
  assert.equal(venvKey(py, bytes("PyGithub\n")), key);
  assert.notEqual(venvKey(py, bytes("PyGithub\nrequests\n")), key);
  assert.notEqual(venvKey({ ...py, version: "3.12.1" }, bytes("PyGithub\n")), key);
});

test("autokitteh and pounce are commented out, line numbers kept; the rest untouched", () => {
  const text = [
    "# tools",
    "PyGithub ~= 2.2",
    "autokitteh[all] ~= 0.2",
    "AutoKitteh",
    "pounce==0.1",
    "-r other.txt",
    "autokitteh-extras",
    "slack_sdk",
  ].join("\n");
  const out = installable(text);
  assert.deepEqual(out.skipped, ["autokitteh", "AutoKitteh", "pounce"]);
  assert.deepEqual(out.text.split("\n"), [
    "# tools",
    "PyGithub ~= 2.2",
    "# autokitteh[all] ~= 0.2  (provided by Pounce)",
    "# AutoKitteh  (provided by Pounce)",
    "# pounce==0.1  (provided by Pounce)",
    "-r other.txt",
    "autokitteh-extras",
    "slack_sdk",
  ]);
});
