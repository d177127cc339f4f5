// Masking a secret in every form Python and JSON render it in, checked against what a real
// Python prints.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { Redactor } from "../../src/core/sessions/redaction.ts";

const SECRETS = [
  `it's a "k\\ey"`,
  "p\u00e4ss\u00e9-\u65e5\u672c-\u{1F600}",
  "tab\there\nand\u0007bell\u00a0nbsp",
  "plain-secret-123",
];

// What Python makes of each secret: repr, ascii, str of a list (repr inside), bytes repr,
// json.dumps both ways, an exception's str and repr, a repr of a repr, JSON of a repr.
const PY = `
import json, sys
out = []
for s in json.loads(sys.argv[1]):
    e = RuntimeError("bad " + s)
    out += [repr(s), ascii(s), str([s, 1]), repr(s.encode()), json.dumps(s),
            json.dumps(s, ensure_ascii=False), json.dumps({"k": [s]}), str(e), repr(e),
            repr(repr(s)), json.dumps(repr(s)), repr({"x": (s,)}), "x" + s + "y"]
print(json.dumps(out))
`;

test("every rendering of a secret is masked, and nothing else", () => {
  const rendered: string[] = JSON.parse(
    execFileSync("python3", ["-c", PY, JSON.stringify(SECRETS)], { encoding: "utf8" }),
  );
  const redactor = new Redactor(SECRETS);
  for (const text of rendered) {
    const masked = redactor.text(text);
    assert.ok(masked.includes("********"), `not masked: ${text}`);
    for (const s of SECRETS) {
      for (const part of [s, s.slice(0, 8), JSON.stringify(s).slice(1, 9)]) {
        assert.ok(!masked.includes(part), `${JSON.stringify(part)} left in ${masked}`);
      }
    }
  }
  assert.equal(redactor.text("nothing to hide, it's fine"), "nothing to hide, it's fine");
});

test("short values are left, values are masked in nested JSON, one redactor per list", () => {
  const values = ["abc", "longer-secret"];
  const redactor = Redactor.for(values);
  assert.equal(Redactor.for(values), redactor);
  assert.equal(redactor.text("abc longer-secret"), "abc ********");
  assert.deepEqual(redactor.value({ a: ["x longer-secret"], n: 1 }), { a: ["x ********"], n: 1 });
  assert.equal(new Redactor([]).active, false);
});
