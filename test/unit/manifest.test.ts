import assert from "node:assert/strict";
import { test } from "node:test";
import { parseManifest } from "../../src/core/projects/manifest.ts";
import { ManifestError } from "../../src/core/projects/manifest-error.ts";

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
  // A near miss names the field meant, among those of its own mapping.
  assert.equal(
    errorOf("version: v1\nproject:\n  name: p\n  trigers: []\n"),
    'project.trigers: unknown field; did you mean "triggers"?',
  );
  assert.equal(
    errorOf(
      "version: v1\nproject:\n  name: p\n  triggers:\n    - name: a\n      webhook: {}\n      evnt_type: x\n",
    ),
    'project.triggers[0].evnt_type: unknown field; did you mean "event_type"?',
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

test("a var's value is any YAML scalar, stored as its text as AutoKitteh reads it", () => {
  const m = parseManifest(
    [
      "version: v1",
      "project:",
      "  name: p",
      "  vars:",
      "    - name: EMPTY",
      "      value:",
      "    - name: TILDE",
      "      value: ~",
      "    - name: INT",
      "      value: 24",
      "    - name: FLOAT",
      "      value: 1.50",
      "    - name: HEX",
      "      value: 0x1F",
      "    - name: BOOL",
      "      value: true",
      "    - name: YES",
      "      value: yes",
      "    - name: QUOTED",
      '      value: "007"',
      "    - name: ABSENT",
      "  connections:",
      "    - name: c",
      "      integration: slack",
      "      vars:",
      "        - name: N",
      "          value: 10",
    ].join("\n"),
  );
  assert.deepEqual(
    Object.fromEntries(m.project.vars.map((v) => [v.name, v.value])),
    {
      EMPTY: "",
      TILDE: "",
      INT: "24",
      FLOAT: "1.50",
      HEX: "0x1F",
      BOOL: "true",
      YES: "yes",
      QUOTED: "007",
      ABSENT: "",
    },
  );
  assert.equal(m.project.connections[0].vars[0].value, "10");
  assert.match(
    errorOf("version: v1\nproject:\n  name: p\n  vars:\n    - name: L\n      value: [1]\n"),
    /^project\.vars\[0\]\.value: /,
  );
});

test("every error of a manifest is reported at once, one a line", () => {
  const err = errorOf(
    [
      "version: v1",
      "project:",
      "  name: bad-name",
      "  colour: red",
      "  vars:",
      "    - name: A",
      "    - name: A",
      "  triggers:",
      "    - name: a",
      "      connection: nope",
      "    - name: b",
      "      webhook: {}",
      "      call: nope",
      "    - name: c",
      "      schedule: 'not a schedule'",
      "    - name: d",
      "      webhook: {}",
      '      filter: "data.x =="',
    ].join("\n"),
  );
  const lines = err.split("\n");
  assert.ok(lines.includes("project.name: must be letters, digits and underscores only"), err);
  assert.ok(lines.includes("project.colour: unknown field"), err);
  assert.ok(lines.includes('project.vars[1].name: duplicate name "A"'), err);
  assert.ok(
    lines.includes('project.triggers[0].connection: no connection named "nope" in the project'),
    err,
  );
  assert.ok(lines.includes('project.triggers[1].call: must look like "file.py:function"'), err);
  assert.ok(lines.some((l) => l.startsWith("project.triggers[2].schedule: ")), err);
  assert.ok(lines.some((l) => l.startsWith("project.triggers[3].filter: ")), err);
  assert.equal(lines.length, 7, err);
});

test("a manifest with very many errors lists the first ones and counts the rest", () => {
  const triggers = Array.from({ length: 80 }, (_, i) => `    - name: t${i}\n      call: nope`);
  const err = errorOf(`version: v1\nproject:\n  name: p\n  triggers:\n${triggers.join("\n")}\n`);
  const lines = err.split("\n");
  assert.equal(lines.length, 51);
  assert.match(lines[50], /^\.\.\. and \d+ more errors$/);
});

// AutoKitteh reads a key with no value as absent (Go's zero value): `vars:` alone is no vars.
test("a key without a value is as if absent, webhook: keeps meaning a webhook", () => {
  const m = parseManifest(
    "version: v1\nproject:\n  name: p\n  vars:\n  connections:\n  triggers:\n    - name: t\n      webhook:\n      filter:\n      event_type: ~\n      call: a.py:f\n",
  );
  assert.deepEqual(m.project.vars, []);
  assert.deepEqual(m.project.connections, []);
  assert.equal(m.project.triggers[0].type, "webhook");
  assert.equal(m.project.triggers[0].filter, "");
  assert.equal(m.project.triggers[0].eventType, "");
  assert.equal(errorOf("version: v1\nproject:\n  name:\n"), "project.name: required");
});

test("a trigger's earlier `data` is accepted and reported as ignored", () => {
  const m = parseManifest(
    "version: v1\nproject:\n  name: p\n  connections:\n    - name: h\n      integration: http\n  triggers:\n    - name: t\n      connection: h\n      data:\n        path: some/where\n      call: a.py:f\n",
  );
  assert.equal(m.project.triggers[0].call, "a.py:f");
  assert.deepEqual(m.ignored, [
    `[warn] trigger "t": "data" (AutoKitteh's earlier trigger data) is ignored`,
  ]);
  assert.equal(parseManifest("version: v1\nproject:\n  name: p\n").ignored, undefined);
  assert.equal(
    errorOf(
      "version: v1\nproject:\n  name: p\n  triggers:\n    - name: t\n      webhook: {}\n      data: [1]\n",
    ),
    "project.triggers[0].data: Invalid input: expected record, received array",
  );
});

test("entrypoint is AutoKitteh's earlier name for call; Starlark handlers are named", () => {
  const t = (extra: string) =>
    `version: v1\nproject:\n  name: p\n  triggers:\n    - name: t\n      webhook: {}\n${extra}`;
  assert.equal(
    parseManifest(t("      entrypoint: lib/h.py:go\n")).project.triggers[0].call,
    "lib/h.py:go",
  );
  assert.equal(
    errorOf(t("      entrypoint: h.py:go\n      call: h.py:go\n")),
    "project.triggers[0]: only one of call, entrypoint",
  );
  assert.equal(
    errorOf(t("      call: main.star:go\n")),
    "project.triggers[0].call: Starlark (.star) handlers are not supported: Pounce runs Python (.py) only",
  );
});
