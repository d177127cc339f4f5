import assert from "node:assert/strict";
import { test } from "node:test";
import { compileFilter } from "../../src/core/triggers/cel.ts";
import { eventGuardValue } from "../../src/core/triggers/event-guard.ts";
import { filterGuard } from "../../src/core/triggers/filter-guard.ts";

const N = JSON.stringify(["data", "body", "json", "n"]);

test("a top-level equality of a path and a literal is the guard", () => {
  assert.deepEqual(filterGuard("data.body.json.n == 5"), { path: N, value: "n:5" });
  assert.deepEqual(filterGuard("5 == data.body.json.n"), { path: N, value: "n:5" });
  assert.deepEqual(filterGuard("data.body['json'].n == 5"), { path: N, value: "n:5" });
  assert.deepEqual(filterGuard('event_type == "push"'), {
    path: '["event_type"]',
    value: "s:push",
  });
  assert.deepEqual(filterGuard("data == 'x'"), { path: '["data"]', value: "s:x" });
  assert.deepEqual(filterGuard("(data.a == 1)"), { path: '["data","a"]', value: "n:1" });
});

test("literals: int, uint, double, string, bool, null", () => {
  const value = (lit: string) => filterGuard(`data.x == ${lit}`)?.value;
  assert.equal(value("5"), "n:5");
  assert.equal(value("-3"), "n:-3");
  assert.equal(value("5u"), "n:5");
  assert.equal(value("5.0"), "n:5");
  assert.equal(value("-0.0"), "n:0");
  assert.equal(value("2.5"), "n:2.5");
  assert.equal(value("'5'"), "s:5");
  assert.equal(value('""'), "s:");
  assert.equal(value("true"), "b:true");
  assert.equal(value("false"), "b:false");
  assert.equal(value("null"), "null");
});

test("a guard from any conjunct of a top-level &&", () => {
  assert.deepEqual(filterGuard("data.a > 1 && data.b == 'x' && data.c == 2"), {
    path: '["data","b"]',
    value: "s:x",
  });
  assert.deepEqual(filterGuard("(data.a.startsWith('x') && (true && data.k == 7))"), {
    path: '["data","k"]',
    value: "n:7",
  });
});

test("no guard where an equality does not bound the match", () => {
  for (
    const f of [
      "",
      "   ",
      "true",
      "data.n == 1 || data.n == 2",
      "data.n != 5",
      "!(data.n == 5)",
      "data.n > 5",
      "data.n == data.m",
      "5 == 5",
      "has(data.n)",
      "has(data.n) && data.m > 1",
      "size(data.n) == 3",
      "data.s.startsWith('x')",
      "data.s.lowerAscii() == 'x'",
      "int(data.n) == 5",
      "string(data.n) == '5'",
      "data.n + 1 == 6",
      "data.items[0] == 1",
      "data[1] == 1",
      "data[data.k] == 1",
      "data.n in [1, 2]",
      "data.n == [1][0]",
      "data.n == -(5)",
      "data.b == b'x'",
      "data.n == 9007199254740993",
      "data.n == 18446744073709551615u",
      "event_type.x == 1",
      "[1].exists(x, x == 1)",
      "data.n == 5 ? true : false",
      "(data.n == 5) == true",
      "data.?n == 5",
    ]
  ) {
    // Filters the parser refuses give no guard either.
    assert.equal(filterGuard(f), undefined, f);
  }
});

test("an event's value at a guard path", () => {
  const e = (data: unknown, eventType = "post") => ({ data, eventType });
  assert.equal(eventGuardValue(N, e({ body: { json: { n: 5 } } })), "n:5");
  assert.equal(eventGuardValue(N, e({ body: { json: { n: 5.5 } } })), "n:5.5");
  assert.equal(eventGuardValue(N, e({ body: { json: { n: "5" } } })), "s:5");
  assert.equal(eventGuardValue(N, e({ body: { json: { n: null } } })), "null");
  assert.equal(eventGuardValue(N, e({ body: { json: { n: false } } })), "b:false");
  assert.equal(eventGuardValue(N, e({ body: { json: { n: [5] } } })), undefined);
  assert.equal(eventGuardValue(N, e({ body: { json: { n: { a: 1 } } } })), undefined);
  assert.equal(eventGuardValue(N, e({ body: { json: {} } })), undefined);
  assert.equal(eventGuardValue(N, e({ body: { json: [5] } })), undefined);
  assert.equal(eventGuardValue(N, e({ body: "x" })), undefined);
  assert.equal(eventGuardValue(N, e(null)), undefined);
  assert.equal(eventGuardValue('["event_type"]', e({}, "push")), "s:push");
  assert.equal(eventGuardValue('["data"]', e(3)), "n:3");
});

// The guard is conservative: whenever the full filter matches an event, the event meets
// the filter's guard.
test("a guard never excludes an event its filter matches", () => {
  const values: unknown[] = [
    0,
    -0,
    5,
    5.5,
    -3,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e21,
    0.1,
    "5",
    "",
    "x",
    true,
    false,
    null,
    [5],
    { n: 5 },
  ];
  const literals = [
    "0",
    "-0.0",
    "5",
    "5u",
    "5.0",
    "5.5",
    "-3",
    "-3.0",
    "9007199254740992",
    "9007199254740992.0",
    "-9007199254740992",
    "1e21",
    "0.1",
    "'5'",
    "''",
    "'x'",
    "true",
    "false",
    "null",
  ];
  let checked = 0;
  for (const lit of literals) {
    for (const filter of [`data.n == ${lit}`, `${lit} == data.n && data.n == data.n`]) {
      const guard = filterGuard(filter);
      assert.ok(guard, filter);
      for (const v of [...values, undefined]) {
        const data = v === undefined ? {} : { n: v };
        const matches = compileFilter(filter).matches({ data, event_type: "post" });
        const meets = eventGuardValue(guard.path, { data, eventType: "post" }) === guard.value;
        if (matches) {
          assert.ok(meets, `${filter} matches ${JSON.stringify(data)} but its guard excludes it`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 20);
});
