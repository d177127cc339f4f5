// Shared commits on the embedded database (src/core/db/serialized.ts, group-commit.ts):
// concurrent writes and transactions share a commit, yet each fails alone, a write is
// answered only once committed, and what is queued when the client closes is committed.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import { sql } from "drizzle-orm";
import { openDb } from "../../src/core/db/client.ts";
import { groupCommit } from "../../src/core/db/group-commit.ts";

async function fresh(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), "pounce-gc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = `file:${join(dir, "t.db")}`;
  const db = await openDb({ url, durability: "fsync" });
  await db.$client.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
  // Another connection, as another process would see the file.
  const other = createClient({ url });
  t.after(() => other.close());
  const committed = async () =>
    (await other.execute("SELECT k FROM t ORDER BY k")).rows.map((r) => String(r.k));
  return { db, committed };
}

test("concurrent writes share commits and fail alone", async (t) => {
  const { db, committed } = await fresh(t);
  const c = db.$client;
  const results = await Promise.allSettled([
    c.execute({ sql: "INSERT INTO t VALUES (?, ?)", args: ["a", 1] }),
    c.execute({ sql: "INSERT INTO t VALUES (?, ?)", args: ["a", 2] }), // duplicate key
    c.execute({ sql: "INSERT INTO t VALUES (?, ?)", args: ["b", null] }), // NOT NULL
    db.transaction(async (tx) => {
      await tx.run(sql.raw("INSERT INTO t VALUES ('c', 3)"));
      throw new Error("changed my mind");
    }),
    db.transaction(async (tx) => {
      await tx.run(sql.raw("INSERT INTO t VALUES ('d', 4)"));
    }),
    c.execute({ sql: "INSERT INTO t VALUES (?, ?)", args: ["e", 5] }),
  ]);
  assert.deepEqual(results.map((r) => r.status), [
    "fulfilled",
    "rejected",
    "rejected",
    "rejected",
    "fulfilled",
    "fulfilled",
  ]);
  // Every write that was answered is on disk, seen from another connection.
  assert.deepEqual(await committed(), ["a", "d", "e"]);
  db.$client.close();
});

test("group-commit writes: lazy ones ride with the next, isolated ones fail alone", async (t) => {
  const { db, committed } = await fresh(t);
  const gc = groupCommit(db);
  const lazy = gc.write((tx) => tx.run(sql.raw("INSERT INTO t VALUES ('lazy', 1)")), {
    lazy: true,
  });
  const failing = gc.write(async (tx) => {
    await tx.run(sql.raw("INSERT INTO t VALUES ('undone', 1)"));
    throw new Error("effect failed");
  }, { isolated: true });
  const urgent = gc.write((tx) => tx.run(sql.raw("INSERT INTO t VALUES ('urgent', 1)")));
  await assert.rejects(failing, /effect failed/);
  await Promise.all([lazy, urgent]);
  assert.deepEqual(await committed(), ["lazy", "urgent"]);
  // A log record whose (session, seq) exists fails alone too.
  const row = { sessionId: "ses_x", seq: 1, type: "print" as const, data: {}, createdAt: 1 };
  const [first, again] = await Promise.allSettled([gc.appendLog(row), gc.appendLog(row)]);
  assert.equal(first.status, "fulfilled");
  assert.equal(again.status, "rejected");
  db.$client.close();
});

test("what is queued when the client closes is committed", async (t) => {
  const { db, committed } = await fresh(t);
  const pending = db.$client.execute("INSERT INTO t VALUES ('last', 1)");
  // A read queued after it is answered once the write has run (reads do not wait for
  // the commit, which may still be to come).
  await db.$client.execute("SELECT 1");
  db.$client.close();
  assert.equal(await pending.then(() => "ok", (e) => String(e)), "ok");
  assert.deepEqual(await committed(), ["last"]);
});

test("a transaction that opens the shared one rolls back alone; others join it", async (t) => {
  const { db, committed } = await fresh(t);
  // The first transaction opens the group's transaction (no savepoint) and rolls back.
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.run(sql.raw("INSERT INTO t VALUES ('undone', 1)"));
      throw new Error("changed my mind");
    }),
    /changed my mind/,
  );
  // The next one opens it again and commits; writes queued meanwhile share its commit.
  const results = await Promise.allSettled([
    db.transaction(async (tx) => {
      await tx.run(sql.raw("INSERT INTO t VALUES ('a', 1)"));
    }),
    db.$client.execute("INSERT INTO t VALUES ('b', 2)"),
    db.transaction(async (tx) => {
      await tx.run(sql.raw("INSERT INTO t VALUES ('c', 3)"));
      throw new Error("no");
    }),
  ]);
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled", "rejected"]);
  assert.deepEqual(await committed(), ["a", "b"]);
  // A group-commit step: a write and its log records in one entry.
  const gc = groupCommit(db);
  const rows = [1, 2].map((seq) => ({
    sessionId: "ses_y",
    seq,
    type: "print" as const,
    data: { seq },
    createdAt: 1,
  }));
  const step = await gc.writeWithLogs(
    (tx) => tx.run(sql.raw("INSERT INTO t VALUES ('step', 4)")).then(() => "written"),
    rows,
  );
  assert.equal(step.value, "written");
  assert.equal(step.ids.length, 2);
  assert.ok(step.ids[0] < step.ids[1]);
  assert.deepEqual(await committed(), ["a", "b", "step"]);
  // A record that exists already fails the entry.
  await assert.rejects(
    gc.writeWithLogs((tx) => tx.run(sql.raw("INSERT INTO t VALUES ('again', 5)")), [rows[1]]),
    /log record 2 of session ses_y exists already/,
  );
  db.$client.close();
});
