// The WAL check (src/core/db/wal-check.ts) on WAL files written by libSQL itself: a damaged
// frame with commits after it (which SQLite silently drops) is caught; a torn last frame
// and the frames left behind by a restarted WAL are normal.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "libsql";
import { checkWal } from "../../src/core/db/wal-check.ts";

const PAGE = 4096;
const frameAt = (i: number) => 32 + (i - 1) * (24 + PAGE); // 1-based, as SQLite counts

type Db = InstanceType<typeof Database>;

// A database whose writer stays open (its WAL is not folded back), with `rows` single-row
// transactions, each a few frames.
function writer(t: { after(fn: () => unknown): void }, rows: number) {
  const dir = mkdtempSync(join(tmpdir(), "pounce-wal-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "w.db");
  const db = new Database(file) as Db;
  t.after(() => db.close());
  db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; PRAGMA synchronous = FULL");
  db.exec("CREATE TABLE t (n INTEGER, pad BLOB)");
  const insert = (n: number) => db.prepare("INSERT INTO t VALUES (?, randomblob(3000))").run([n]);
  for (let n = 1; n <= rows; n++) insert(n);
  return { dir, file, db, insert };
}

// A copy of the database and its WAL as a crash would leave them, changed by `damage`.
function crashCopy(
  t: { after(fn: () => unknown): void },
  file: string,
  damage: (wal: Uint8Array) => void = () => {},
): string {
  const dir = mkdtempSync(join(tmpdir(), "pounce-wal-copy-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const copy = join(dir, "c.db");
  copyFileSync(file, copy);
  const wal = new Uint8Array(readFileSync(`${file}-wal`));
  damage(wal);
  writeFileSync(`${copy}-wal`, wal);
  return copy;
}

function rowsIn(file: string): number {
  const db = new Database(file) as Db;
  try {
    return Number((db.prepare("SELECT count(*) FROM t").raw(true).get() as number[])[0]);
  } finally {
    db.close();
  }
}

test("an intact WAL passes, and SQLite reads all of it", (t) => {
  const { file } = writer(t, 10);
  const copy = crashCopy(t, file);
  assert.equal(checkWal(`${copy}-wal`), undefined);
  assert.equal(rowsIn(copy), 10);
});

test("a damaged frame with commits after it is caught (SQLite would drop them silently)", (t) => {
  const { file } = writer(t, 10);
  const copy = crashCopy(t, file, (wal) => (wal[frameAt(3) + 24 + 1000] ^= 0xff));
  const damage = checkWal(`${copy}-wal`);
  assert.ok(damage, "damage found");
  assert.equal(damage.badFrame, 3);
  assert.ok(damage.lostCommits >= 8, `lost commits: ${damage.lostCommits}`);
  // What SQLite does with it: opens without a word, with the rows after frame 3 gone.
  assert.ok(rowsIn(copy) < 10);
});

test("a damaged WAL header with frames after it is caught", (t) => {
  const { file } = writer(t, 3);
  const copy = crashCopy(t, file, (wal) => (wal[25] ^= 0x01));
  const damage = checkWal(`${copy}-wal`);
  assert.equal(damage?.badFrame, 0);
});

test("a torn last frame is a normal crash: nothing committed is after it", (t) => {
  const { file } = writer(t, 5);
  const frames = (readFileSync(`${file}-wal`).length - 32) / (24 + PAGE);
  const copy = crashCopy(t, file, (wal) => (wal[frameAt(frames) + 24 + 10] ^= 0xff));
  assert.equal(checkWal(`${copy}-wal`), undefined);
  assert.equal(rowsIn(copy), 4);
});

test("frames left from before a WAL restart are not damage", (t) => {
  const { file, db, insert } = writer(t, 10);
  const before = readFileSync(`${file}-wal`);
  db.exec("PRAGMA wal_checkpoint(RESTART)");
  insert(11); // a new generation of frames over the first ones; the old ones stay after it
  const after = readFileSync(`${file}-wal`);
  assert.equal(after.length, before.length);
  assert.notDeepEqual(after.subarray(16, 24), before.subarray(16, 24), "new salts");
  const copy = crashCopy(t, file);
  assert.equal(checkWal(`${copy}-wal`), undefined);
  assert.equal(rowsIn(copy), 11);
});

test("no WAL, or a WAL shorter than its header, is nothing to check", (t) => {
  const { dir } = writer(t, 1);
  assert.equal(checkWal(join(dir, "none.db-wal")), undefined);
  writeFileSync(join(dir, "short.db-wal"), new Uint8Array(10));
  assert.equal(checkWal(join(dir, "short.db-wal")), undefined);
});
