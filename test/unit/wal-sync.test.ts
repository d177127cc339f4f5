// `--durability fsync` on the embedded database: a write's commit resolves only once the
// WAL has been synced, and that sync runs off the event loop (libuv's thread pool, not
// SQLite's blocking sync at COMMIT) unless writes come one at a time, back to back; a
// failed sync fails the write. fs.fdatasync is held
// here to see the order, the way a slow disk would hold it.
import assert from "node:assert/strict";
import fs, { mkdtempSync, rmSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { closeDb, openDb } from "../../src/core/db/client.ts";
import { groupCommit } from "../../src/core/db/group-commit.ts";

type Callback = (err: NodeJS.ErrnoException | null) => void;

// fs.fdatasync replaced by one that records each call and waits to be let go.
function holdSyncs(t: { after(fn: () => unknown): void }) {
  const original = fs.fdatasync;
  const held: { fd: number; done: Callback }[] = [];
  (fs as { fdatasync: unknown }).fdatasync = (fd: number, done: Callback) =>
    held.push({ fd, done });
  syncBuiltinESMExports();
  t.after(() => {
    fs.fdatasync = original;
    syncBuiltinESMExports();
  });
  return held;
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

async function fresh(t: { after(fn: () => unknown): void }, durability: "fsync" | "process") {
  const dir = mkdtempSync(join(tmpdir(), "pounce-walsync-"));
  const file = join(dir, "t.db");
  const db = await openDb({ url: `file:${file}`, durability });
  t.after(async () => {
    await closeDb(db, undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  await db.$client.execute("PRAGMA query_only = OFF");
  await db.$client.execute("CREATE TABLE t (k TEXT PRIMARY KEY)");
  await db.$client.execute("PRAGMA query_only = ON");
  return { db, file };
}

test("fsync: a write resolves once the WAL is synced, off the event loop", async (t) => {
  const { db, file } = await fresh(t, "fsync");
  const held = holdSyncs(t);
  let resolved = false;
  const write = groupCommit(db).write((tx) => tx.run("INSERT INTO t (k) VALUES ('a')"))
    .then(() => (resolved = true));
  await turns(5);
  // Committed (SQLite's part done), not yet answered: the sync of the WAL is pending.
  assert.equal(held.length, 1);
  assert.equal(fs.fstatSync(held[0].fd).ino, fs.statSync(`${file}-wal`).ino);
  assert.equal(resolved, false);
  held[0].done(null);
  await write;
  assert.equal(resolved, true);
});

test("fsync: a failed sync of the WAL fails the write", async (t) => {
  const { db } = await fresh(t, "fsync");
  const held = holdSyncs(t);
  const write = groupCommit(db).write((tx) => tx.run("INSERT INTO t (k) VALUES ('a')"));
  await turns(5);
  held[0].done(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
  await assert.rejects(write, /EIO/);
});

test("process: no sync of the WAL at commit", async (t) => {
  const { db } = await fresh(t, "process");
  const held = holdSyncs(t);
  await groupCommit(db).write((tx) => tx.run("INSERT INTO t (k) VALUES ('a')"));
  assert.equal(held.length, 0);
});

test("fsync: writes one at a time, back to back, sync in place; a batch of several does not", async (t) => {
  const { db } = await fresh(t, "fsync");
  const calls = { pool: 0, inPlace: 0 };
  const { fdatasync, fdatasyncSync } = fs;
  (fs as { fdatasync: unknown }).fdatasync = (fd: number, done: Callback) => {
    calls.pool++;
    fdatasync(fd, done);
  };
  (fs as { fdatasyncSync: unknown }).fdatasyncSync = (fd: number) => {
    calls.inPlace++;
    fdatasyncSync(fd);
  };
  syncBuiltinESMExports();
  t.after(() => {
    Object.assign(fs, { fdatasync, fdatasyncSync });
    syncBuiltinESMExports();
  });
  const gc = groupCommit(db);
  let k = 0;
  const insert = () => gc.write((tx) => tx.run(`INSERT INTO t (k) VALUES ('${k++}')`));
  // The first ones go to the thread pool; after a run of lone writes, in place.
  for (let i = 0; i < 200 && calls.inPlace === 0; i++) await insert();
  assert.ok(calls.pool >= 8, `${calls.pool} syncs on the pool first`);
  assert.ok(calls.inPlace > 0, "a lone write's sync ran in place");
  // Writes that overlap share a batch, whose sync goes back to the pool.
  const pool = calls.pool;
  await Promise.all([insert(), insert(), insert()]);
  assert.equal(calls.pool, pool + 1);
  const rows = await db.$client.execute("SELECT count(*) AS n FROM t");
  assert.equal(Number(rows.rows[0].n), k);
});
