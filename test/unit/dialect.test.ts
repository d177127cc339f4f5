// Plain SQL is written once, with SQLite's `?` placeholders (src/core/db/dialect.ts): on
// PostgreSQL they are numbered, and a `?` inside a quoted string or name stays as it is.
import assert from "node:assert/strict";
import { test } from "node:test";
import { numberedParams } from "../../src/core/db/dialect.ts";

test("? placeholders become $1, $2… outside quotes", () => {
  assert.equal(
    numberedParams("UPDATE t SET a = ?, b = 'why?', \"c?\" = ? WHERE d = ? AND e = 'it''s ?'"),
    "UPDATE t SET a = $1, b = 'why?', \"c?\" = $2 WHERE d = $3 AND e = 'it''s ?'",
  );
  assert.equal(numberedParams("SELECT 1"), "SELECT 1");
});
