import assert from "node:assert/strict";
import { test } from "node:test";
import { checkFilter, compileFilter, FilterError } from "../../src/core/triggers/cel.ts";

const data = {
  url: { path: "/api/dogs/woof", query: { a: "1" } },
  method: "GET",
  headers: { "content-type": "application/json" },
  body: { json: { count: 3, price: 10, ratio: 1.5, tags: ["a", "b"], i: 1, none: null } },
};

function matches(filter: string, event_type = "post"): boolean {
  return compileFilter(filter).matches({ data, event_type });
}

test("endsWith on the path, equality, size", () => {
  assert.equal(
    matches("data.url.path.endsWith('/woof') && data.method == 'GET' && size(data.headers) > 0"),
    true,
  );
  assert.equal(matches("data.url.path.endsWith('/meow')"), false);
  assert.equal(matches("data.method == 'POST'"), false);
  assert.equal(matches("event_type == 'post'"), true);
  assert.equal(matches("event_type == 'post'", "get"), false);
});

test("string functions", () => {
  assert.equal(matches("data.url.path.startsWith('/api/')"), true);
  assert.equal(matches("data.url.path.contains('dogs')"), true);
  assert.equal(matches("data.url.path.matches('^/api/[a-z]+/woof$')"), true);
  assert.equal(matches("data.method.matches('(?i)get')"), true); // RE2 syntax
  assert.equal(matches("size(data.url.path) == 14"), true);
});

test("has()", () => {
  assert.equal(matches("has(data.body.json.count)"), true);
  assert.equal(matches("has(data.body.json.missing)"), false);
  assert.equal(matches("!has(data.url.fragment) && has(data.url.query.a)"), true);
});

test("macros", () => {
  assert.equal(matches("data.body.json.tags.exists(t, t == 'b')"), true);
  assert.equal(matches("data.body.json.tags.all(t, size(t) == 1)"), true);
  assert.equal(matches("data.body.json.tags.exists_one(t, t == 'a')"), true);
  assert.equal(matches("data.body.json.tags.map(t, t + '!') == ['a!', 'b!']"), true);
  assert.equal(matches("data.body.json.tags.filter(t, t != 'a') == ['b']"), true);
  assert.equal(matches("data.headers.exists(k, k.startsWith('content-'))"), true);
});

test("integer JSON numbers behave as ints", () => {
  assert.equal(matches("data.body.json.count > 2"), true);
  assert.equal(matches("data.body.json.count > 3"), false);
  assert.equal(matches("data.body.json.count == 3"), true);
  assert.equal(matches("data.body.json.count == 3.0"), true);
  assert.equal(matches("data.body.json.count + 1 == 4"), true);
  assert.equal(matches("data.body.json.count % 2 == 1"), true);
  assert.equal(matches("data.body.json.tags[data.body.json.i] == 'b'"), true);
  assert.equal(matches("data.body.json.price * 1.5 == 15.0"), true);
  assert.equal(matches("data.body.json.ratio > 1 && data.body.json.ratio * 2 == 3"), true);
  assert.equal(matches("data.body.json.none == null"), true);
});

test("a non-bool result does not match", () => {
  assert.equal(matches("data.method"), false);
  assert.equal(matches("data.body.json.count"), false);
});

test("a runtime error does not match", () => {
  assert.equal(matches("data.missing == 1"), false);
  assert.equal(matches("data.body.json.count / 0 == 1"), false);
  assert.equal(compileFilter("data.a.b == 1").matches({ data: null, event_type: "" }), false);
});

test("a syntax error says where", () => {
  assert.throws(() => compileFilter("data.method == 'GET' &&\n  data.x =="), (e: unknown) => {
    assert.ok(e instanceof FilterError);
    assert.match(e.message, /^filter: 2:\d+: Syntax error: /);
    assert.equal(e.position?.line, 2);
    return true;
  });
  assert.match(checkFilter("data.url.path.endsWith(") ?? "", /^filter: 1:\d+: Syntax error: /);
});

test("unknown names fail at compile time", () => {
  assert.equal(
    checkFilter("data.url.path.endswith('/woof')"),
    "filter: 1:15: Unknown function: endswith",
  );
  assert.equal(checkFilter("evnt_type == 'a'"), "filter: 1:1: Unknown variable: evnt_type");
  assert.equal(
    checkFilter("data.body.json.tags.exists(t, t == 'a') && strings.quote('a') != ''"),
    undefined,
  );
});

test("an empty filter always matches", () => {
  assert.equal(matches(""), true);
  assert.equal(matches("  \n "), true);
  assert.equal(checkFilter(""), undefined);
});

test("compiled filters are cached by source", () => {
  assert.equal(compileFilter("data.method == 'GET'"), compileFilter("data.method == 'GET'"));
});
