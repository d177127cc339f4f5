// Writes on the embedded database: they run only in transactions (src/core/db/serialized.ts
// refuses a write statement on the client), and GroupCommit (group-commit.ts) batches
// concurrent ones into shared commits, yet each fails alone, a write is answered only once
// committed, and what is queued when the database closes is committed.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import { sql } from "drizzle-orm";
import { closeDb, openDb } from "../../src/core/db/client.ts";
import { groupCommit } from "../../src/core/db/group-commit.ts";
import { WriteOutsideTransactionError } from "../../src/core/db/serialized.ts";

async function fresh(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), "pounce-gc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = `file:${join(dir, "t.db")}`;
  const db = await openDb({ url, durability: "fsync" });
  await db.$client.batch([
    "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)",
    // The sessions the log records below belong to (their rows refer to them).
    "INSERT INTO projects (id, name, created_at, updated_at) VALUES ('prj_t', 't', 0, 0)",
    ...["ses_x", "ses_y"].map((id) =>
      `INSERT INTO sessions (id, project_id, build_id, entrypoint, inputs, memo, is_durable,
         state, created_at, updated_at)
       VALUES ('${id}', 'prj_t', 'bld_t', 'p.py:f', '{}', '{}', 1, 'running', 0, 0)`
    ),
  ], "write");
  // Another connection, as another process would see the file.
  const other = createClient({ url });
  t.after(() => other.close());
  const committed = async () =>
    (await other.execute("SELECT k FROM t ORDER BY k")).rows.map((r) => String(r.k));
  return { db, committed };
}

test("concurrent writes share commits and fail alone", async (t) => {
  const { db, committed } = await fresh(t);
  const gc = groupCommit(db);
  const insert =
    (k: string, v: number | null) => (tx: Parameters<Parameters<typeof gc.write>[0]>[0]) =>
      tx.run(sql`INSERT INTO t VALUES (${k}, ${v})`);
  const before = { ...gc.stats };
  const results = await Promise.allSettled([
    gc.write(insert("a", 1), { isolated: true }),
    gc.write(insert("a", 2), { isolated: true }), // duplicate key
    gc.write(insert("b", null), { isolated: true }), // NOT NULL
    gc.write(async (tx) => {
      await insert("c", 3)(tx);
      throw new Error("changed my mind");
    }, { isolated: true }),
    gc.write(insert("d", 4), { isolated: true }),
    gc.write(insert("e", 5)),
  ]);
  assert.deepEqual(results.map((r) => r.status), [
    "fulfilled",
    "rejected",
    "rejected",
    "rejected",
    "fulfilled",
    "fulfilled",
  ]);
  // Six writes, one commit.
  assert.equal(gc.stats.writes - before.writes, 6);
  assert.equal(gc.stats.commits - before.commits, 1);
  // Every write that was answered is on disk, seen from another connection.
  assert.deepEqual(await committed(), ["a", "d", "e"]);
  await closeDb(db, undefined);
});

test("a write statement outside a transaction is refused, not run", async (t) => {
  const { db, committed } = await fresh(t);
  await assert.rejects(
    db.$client.execute({ sql: "INSERT INTO t VALUES (?, ?)", args: ["plain", 1] }),
    (err) =>
      err instanceof WriteOutsideTransactionError && /groupCommit\(db\)\.write/.test(err.message),
  );
  // Through drizzle, which wraps it.
  await assert.rejects(
    db.run(sql`UPDATE t SET v = 2`),
    (err: Error) => err.cause instanceof WriteOutsideTransactionError,
  );
  await assert.rejects(db.$client.execute("CREATE TABLE u (k TEXT)"), WriteOutsideTransactionError);
  // A read-only transaction may not write either; reads run anywhere.
  await assert.rejects(
    db.$client.transaction("read").then(async (tx) => {
      try {
        await tx.execute("INSERT INTO t VALUES ('read', 1)");
      } finally {
        tx.close();
      }
    }),
    /readonly/,
  );
  assert.deepEqual((await db.$client.execute("SELECT count(*) AS n FROM t")).rows[0].n, 0);
  // Explicit writes run.
  await db.transaction((tx) => tx.run(sql`INSERT INTO t VALUES ('tx', 1)`));
  await groupCommit(db).write((tx) => tx.run(sql`INSERT INTO t VALUES ('gc', 1)`));
  assert.deepEqual(await committed(), ["gc", "tx"]);
  await closeDb(db, undefined);
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
  await closeDb(db, undefined);
});

test("what is queued when the database closes is committed", async (t) => {
  const { db, committed } = await fresh(t);
  const gc = groupCommit(db);
  const pending = gc.write((tx) => tx.run(sql.raw("INSERT INTO t VALUES ('last', 1)")));
  const lazy = gc.write((tx) => tx.run(sql.raw("INSERT INTO t VALUES ('lazy', 1)")), {
    lazy: true,
  });
  await closeDb(db, undefined);
  assert.equal(await pending.then(() => "ok", (e) => String(e)), "ok");
  assert.equal(await lazy.then(() => "ok", (e) => String(e)), "ok");
  assert.deepEqual(await committed(), ["last", "lazy"]);
});

test("a write alone rolls back alone; what a write queues joins its commit", async (t) => {
  const { db, committed } = await fresh(t);
  const gc = groupCommit(db);
  // Alone in its batch, an isolated write runs without a savepoint and rolls back.
  await assert.rejects(
    gc.write(async (tx) => {
      await tx.run(sql.raw("INSERT INTO t VALUES ('undone', 1)"));
      throw new Error("changed my mind");
    }, { isolated: true }),
    /changed my mind/,
  );
  // A write's follow-up, queued while its batch runs, is committed with it.
  const before = gc.stats.commits;
  let followUp: Promise<unknown> | undefined;
  await gc.write(async (tx) => {
    await tx.run(sql.raw("INSERT INTO t VALUES ('a', 1)"));
    followUp = gc.write((tx2) => tx2.run(sql.raw("INSERT INTO t VALUES ('b', 2)")));
  });
  await followUp;
  assert.equal(gc.stats.commits - before, 1);
  // Explicit transactions commit or roll back on their own.
  const results = await Promise.allSettled([
    db.transaction(async (tx) => {
      await tx.run(sql.raw("INSERT INTO t VALUES ('c', 3)"));
      throw new Error("no");
    }),
    db.transaction(async (tx) => {
      await tx.run(sql.raw("INSERT INTO t VALUES ('d', 4)"));
    }),
  ]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "fulfilled"]);
  assert.deepEqual(await committed(), ["a", "b", "d"]);
  // A group-commit step: a write and its log records in one entry.
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
  assert.deepEqual(await committed(), ["a", "b", "d", "step"]);
  // A record that exists already fails the entry.
  await assert.rejects(
    gc.writeWithLogs((tx) => tx.run(sql.raw("INSERT INTO t VALUES ('again', 5)")), [rows[1]]),
    /log record 2 of session ses_y exists already/,
  );
  await closeDb(db, undefined);
});

test("log records' ids are the ones the database gave them, in batches with a duplicate or not", async (t) => {
  const { db } = await fresh(t);
  const gc = groupCommit(db);
  const row = (sessionId: string, seq: number) => ({
    sessionId,
    seq,
    type: "print" as const,
    data: { seq },
    createdAt: 1,
  });
  const idsInDb = async () =>
    new Map(
      (await db.$client.execute("SELECT id, session_id, seq FROM session_logs")).rows.map((
        r,
      ) => [`${r.session_id}/${r.seq}`, Number(r.id)]),
    );
  const write = (tx: Parameters<Parameters<typeof gc.write>[0]>[0]) => tx.run(sql.raw("SELECT 1"));
  // One batch, no duplicate: several entries' records in one insert.
  const [a, b, c] = await Promise.all([
    gc.writeWithLogs(write, [row("ses_x", 1), row("ses_x", 2)]),
    gc.appendLog(row("ses_y", 1)),
    gc.writeWithLogs(write, [row("ses_y", 2), row("ses_x", 3)]),
  ]);
  let inDb = await idsInDb();
  assert.deepEqual(a.ids, [inDb.get("ses_x/1"), inDb.get("ses_x/2")]);
  assert.equal(b, inDb.get("ses_y/1"));
  assert.deepEqual(c.ids, [inDb.get("ses_y/2"), inDb.get("ses_x/3")]);
  // One batch with a record that exists already: that entry fails, the others get their ids.
  const [d, e, f] = await Promise.allSettled([
    gc.writeWithLogs(write, [row("ses_x", 4)]),
    gc.writeWithLogs(write, [row("ses_y", 3), row("ses_x", 2)]),
    gc.appendLog(row("ses_y", 4)),
  ]);
  inDb = await idsInDb();
  assert.equal(d.status === "fulfilled" && d.value.ids[0], inDb.get("ses_x/4"));
  assert.match(e.status === "rejected" ? String(e.reason) : "", /ses_x exists already/);
  assert.equal(f.status === "fulfilled" && f.value, inDb.get("ses_y/4"));
  await closeDb(db, undefined);
});
