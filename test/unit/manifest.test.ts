import assert from "node:assert/strict";
import { test } from "node:test";
import { ManifestError, parseManifest } from "../../src/core/projects/manifest.ts";

const errorOf = (text: string) => {
  try {
    parseManifest(text);
  } catch (err) {
    assert.ok(err instanceof ManifestError, String(err));
    return err.message;
  }
  assert.fail("expected a ManifestError");
};

test("v1 triggers are durable by default, v2 not, is_durable wins", () => {
  const m = (v: string, extra = "") =>
    parseManifest(
      `version: ${v}\nproject:\n  name: p\n  triggers:\n    - name: t\n      webhook: {}\n      call: a.py:f\n${extra}`,
    );
  assert.equal(m("v1").project.triggers[0].isDurable, true);
  assert.equal(m("v2").project.triggers[0].isDurable, false);
  assert.equal(m("v1", "      is_durable: false\n").project.triggers[0].isDurable, false);
  assert.equal(m("v1").project.triggers[0].type, "webhook");
});

test("errors name the field path", () => {
  assert.equal(errorOf("project:\n  name: p\n"), "version: required");
  assert.equal(errorOf("version: v3\nproject:\n  name: p\n"), 'version: must be "v1" or "v2"');
  assert.equal(
    errorOf("version: v1\nproject:\n  name: bad-name\n"),
    "project.name: must be letters, digits and underscores only",
  );
  assert.equal(
    errorOf("version: v1\nproject:\n  name: p\n  colour: red\n"),
    "project.colour: unknown field",
  );
  assert.equal(
    errorOf(
      "version: v1\nproject:\n  name: p\n  triggers:\n    - name: a\n      webhook: {}\n    - name: b\n      webhook: {}\n      call: nope\n",
    ),
    'project.triggers[1].call: must look like "file.py:function"',
  );
  assert.equal(
    errorOf(
      "version: v1\nproject:\n  name: p\n  triggers:\n    - name: a\n      connection: slack\n",
    ),
    'project.triggers[0].connection: no connection named "slack" in the project',
  );
  assert.equal(
    errorOf(
      "version: v1\nproject:\n  name: p\n  triggers:\n    - name: a\n      webhook: {}\n      schedule: '* * * * *'\n",
    ),
    "project.triggers[0]: only one of webhook, schedule, connection (got webhook, schedule)",
  );
  assert.equal(
    errorOf("version: v1\nproject:\n  name: p\n  vars:\n    - name: A\n    - name: A\n"),
    'project.vars[1].name: duplicate name "A"',
  );
  assert.match(errorOf("version: v1\nproject: [unclosed\n"), /^manifest: invalid YAML at line \d+/);
  assert.match(
    errorOf(
      'version: v1\nproject:\n  name: p\n  triggers:\n    - name: a\n      webhook: {}\n      filter: "data.x =="\n',
    ),
    /^project\.triggers\[0\]\.filter: .*\d+:\d+/,
  );
});

test("a YAML alias bomb is refused", () => {
  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 10; i++) {
    bomb.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${
        Array(10).fill("*" + String.fromCharCode(96 + i)).join(", ")
      }]`,
    );
  }
  assert.match(errorOf(bomb.join("\n")), /^manifest: /);
});

test("call accepts `file.py function` as AutoKitteh does", () => {
  const m = parseManifest(
    "version: v1\nproject:\n  name: p\n  triggers:\n    - name: t\n      webhook: {}\n      call: dir/a.py f\n",
  );
  assert.equal(m.project.triggers[0].call, "dir/a.py:f");
});
