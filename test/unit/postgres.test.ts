// The PostgreSQL backend (src/core/db/postgres.ts): the schema derived from schema.ts is
// the one migrated, the queries' values come back as on SQLite, GroupCommit's writes fail
// alone and commit together, plain SQL (execOn) runs inside drizzle's transaction, and
// write transactions take turns across handles (as nodes do). Runs on the server of
// POUNCE_TEST_PG (or POUNCE_TEST_DB), else on the one `npm test` provisions; skipped, saying
// so, when none answers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { eq, gt } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/sqlite-core";
import { closeDb, type Db, openDb } from "../../src/core/db/client.ts";
import { groupCommit } from "../../src/core/db/group-commit.ts";
import { execOn } from "../../src/core/db/tx.ts";
import { channelsOf } from "../../src/core/db/dialect.ts";
import * as schema from "../../src/core/db/schema.ts";
import { migrations } from "../../src/core/db/migrations-pg.gen.ts";
import { dropDatabase, freshDatabase, PG_SERVER, reachable } from "../helpers/pg.ts";

const skip = await reachable(PG_SERVER)
  ? false
  : `no PostgreSQL at ${
    shown(PG_SERVER)
  } (set POUNCE_TEST_PG to a server where this user may create databases)`;

async function fresh(t: { after(fn: () => unknown): void }): Promise<Db> {
  const url = await freshDatabase(PG_SERVER);
  const db = await openDb({ url });
  t.after(async () => {
    await closeDb(db, undefined);
    await dropDatabase(url);
  });
  await groupCommit(db).write(async (tx) => {
    await tx.insert(schema.projects).values({ id: "prj_t", name: "t", createdAt: 0, updatedAt: 0 });
    await tx.insert(schema.sessions).values({
      id: "ses_x",
      projectId: "prj_t",
      buildId: "bld_t",
      entrypoint: "p.py:f",
      inputs: { a: [1, "b"] },
      memo: {},
      isDurable: true,
      state: "running",
      createdAt: 1_700_000_000_000,
      updatedAt: 0,
    });
  });
  return db;
}

test("the migrated tables are schema.ts's, column for column", { skip }, async (t) => {
  const db = await fresh(t);
  const { rows } = await db.$client.execute(
    `SELECT table_name, column_name, is_nullable FROM information_schema.columns
     WHERE table_schema = 'public' ORDER BY table_name, column_name`,
  );
  const found = rows.map((r) =>
    `${r.table_name}.${r.column_name}${r.is_nullable === "NO" ? "!" : ""}`
  );
  const wanted = Object.values(schema)
    .filter((v) => typeof v === "object" && v !== null && Symbol.for("drizzle:IsDrizzleTable") in v)
    .flatMap((table) => {
      const c = getTableConfig(table as typeof schema.projects);
      return c.columns.map((col) => `${c.name}.${col.name}${col.notNull ? "!" : ""}`);
    })
    .sort();
  assert.deepEqual(found.sort(), wanted);
  // Opening it again applies nothing twice.
  await closeDb(await openDb({ url: urlOf(db) }), undefined);
  const applied = await db.$client.execute(
    "SELECT count(*) AS n FROM drizzle.__drizzle_migrations",
  );
  assert.equal(applied.rows[0].n, migrations.length);
});

test("text sorts and compares by bytes, as on SQLite, on a database collated otherwise", {
  skip,
}, async (t) => {
  const url = await freshDatabase(PG_SERVER, { icuLocale: "en-US" });
  const db = await openDb({ url });
  t.after(async () => {
    await closeDb(db, undefined);
    await dropDatabase(url);
  });
  // The database's own collation orders case and punctuation by language rules.
  const { rows: byLocale } = await db.$client.execute(
    "SELECT x FROM (VALUES ('a'), ('B'), ('_c')) AS v(x) ORDER BY x",
  );
  assert.deepEqual(byLocale.map((r) => r.x), ["_c", "a", "B"]);

  const names = ["b", "B", "a", "_x", "A", "a-1", "a_1", "Z9"];
  await groupCommit(db).write(async (tx) => {
    await tx.insert(schema.projects).values(
      names.map((name) => ({ id: `prj_${name}`, name, createdAt: 0, updatedAt: 0 })),
    );
    await tx.insert(schema.storeValues).values(
      names.map((key) => ({ projectId: "prj_a", key, value: "1", createdAt: 0, updatedAt: 0 })),
    );
  });
  const bytes = [...names].sort(); // JavaScript's sort of ASCII: SQLite's BINARY order
  const projects = await db.select().from(schema.projects).orderBy(schema.projects.name);
  assert.deepEqual(projects.map((p) => p.name), bytes);
  const keys = await db.select().from(schema.storeValues).orderBy(schema.storeValues.key);
  assert.deepEqual(keys.map((k) => k.key), bytes);
  const after = await db.select().from(schema.projects).where(gt(schema.projects.id, "prj_Z9"))
    .orderBy(schema.projects.id);
  assert.deepEqual(after.map((p) => p.name), bytes.filter((n) => `prj_${n}` > "prj_Z9"));
});

test("values come back as on SQLite", { skip }, async (t) => {
  const db = await fresh(t);
  const [s] = await db.select().from(schema.sessions).where(eq(schema.sessions.id, "ses_x"));
  assert.equal(s.isDurable, true);
  assert.equal(s.hibernated, false);
  assert.equal(s.createdAt, 1_700_000_000_000);
  assert.equal(s.runs, 0);
  assert.deepEqual(s.inputs, { a: [1, "b"] });
  assert.equal(s.returnValue, null);
  const { rows } = await db.$client.execute({
    sql: "SELECT count(*) AS n, max(created_at) AS last FROM sessions WHERE id = ?",
    args: ["ses_x"],
  });
  assert.deepEqual([rows[0].n, rows[0].last], [1, 1_700_000_000_000]);
});

test(
  "group commit: writes fail alone, commit together; execOn is in the transaction",
  { skip },
  async (t) => {
    const db = await fresh(t);
    const gc = groupCommit(db);
    const put =
      (k: string, v: string | null) => (tx: Parameters<Parameters<typeof gc.write>[0]>[0]) =>
        tx.insert(schema.seenRequests).values({
          key: k,
          expiresAt: v === null ? null as never : 1,
        });
    const before = { ...gc.stats };
    const results = await Promise.allSettled([
      gc.write(put("a", "1"), { isolated: true }),
      gc.write(put("a", "2"), { isolated: true }), // duplicate key
      gc.write(put("b", null), { isolated: true }), // NOT NULL
      gc.write(async (tx) => {
        await execOn(tx)("INSERT INTO seen_requests (key, expires_at) VALUES (?, ?)", ["c", 3]);
        throw new Error("changed my mind");
      }, { isolated: true }),
      gc.write((tx) =>
        execOn(tx)("INSERT INTO seen_requests (key, expires_at) VALUES (?, ?)", ["d", 4])
      ),
      gc.appendLog({
        sessionId: "ses_x",
        seq: 1,
        type: "print",
        data: { text: "hi" },
        createdAt: 5,
      }),
    ]);
    assert.deepEqual(results.map((r) => r.status), [
      "fulfilled",
      "rejected",
      "rejected",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    assert.equal(gc.stats.commits - before.commits, 1);
    const keys = await db.select({ k: schema.seenRequests.key }).from(schema.seenRequests);
    assert.deepEqual(keys.map((r) => r.k).sort(), ["a", "d"]);
    const logId = (results[5] as PromiseFulfilledResult<number>).value;
    const [log] = await db.select().from(schema.sessionLogs).where(
      eq(schema.sessionLogs.id, logId),
    );
    assert.deepEqual(log.data, { text: "hi" });
  },
);

test("write transactions take turns across handles, as nodes do", { skip }, async (t) => {
  const db = await fresh(t);
  const other = await openDb({ url: urlOf(db) });
  const order: string[] = [];
  let entered!: () => void;
  const inFirst = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const first = db.transaction(async (tx) => {
    order.push("first in");
    entered();
    await held;
    await tx.select().from(schema.projects);
    order.push("first out");
  });
  await inFirst;
  const second = other.transaction(() => Promise.resolve(void order.push("second in")));
  // The second waits for the first's lock: give it time to (wrongly) get in.
  await new Promise((resolve) => setTimeout(resolve, 300));
  release();
  await Promise.all([first, second]);
  await closeDb(other, undefined);
  assert.deepEqual(order, ["first in", "first out", "second in"]);
});

test("a handle gone quiet inside a transaction does not hold the write lock for good", {
  skip,
}, async (t) => {
  const db = await fresh(t);
  const other = await openDb({ url: urlOf(db) });
  t.after(() => closeDb(other, undefined));
  let entered!: () => void;
  const inFirst = new Promise<void>((resolve) => (entered = resolve));
  // The first holds the lock and then says nothing, as a node paused mid-write does.
  const stalled = db.transaction(async (tx) => {
    entered();
    await new Promise((resolve) => setTimeout(resolve, 8000));
    await tx.select().from(schema.projects);
  });
  const ended = stalled.then(() => "committed", () => "ended by the server");
  await inFirst;
  await other.transaction(() => Promise.resolve());
  assert.equal(await ended, "ended by the server");
});

// A URL without its password.
function shown(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

function urlOf(db: Db): string {
  const pool = (db as unknown as { $pool: { options: { connectionString: string } } }).$pool;
  return pool.options.connectionString;
}

test("nodes hear each other: config writes and wake-ups (LISTEN/NOTIFY)", { skip }, async (t) => {
  const db = await fresh(t);
  const other = await openDb({ url: urlOf(db) });
  try {
    const [mine, theirs] = [channelsOf(db)!, channelsOf(other)!];
    const version = () => (other.$client as unknown as { dataVersion(): number }).dataVersion();
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(what());
    };
    // A config table's commit changes the other handle's data version; others do not.
    let seen = version();
    await groupCommit(db).write((tx) =>
      tx.update(schema.projects).set({ displayName: "T" }).where(eq(schema.projects.id, "prj_t"))
    );
    await until(() => version() !== seen);
    seen = version();
    await groupCommit(db).write((tx) =>
      tx.insert(schema.seenRequests).values({ key: "k", expiresAt: 1 })
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(version(), seen);
    // A wake-up reaches the other handle, not its sender.
    const heard: string[][] = [[], []];
    mine.onWake = (id) => heard[0].push(id);
    theirs.onWake = (id) => heard[1].push(id);
    mine.wake("ses_1");
    mine.wake("ses_2");
    await until(() => heard[1].length === 2);
    assert.deepEqual(heard, [[], ["ses_1", "ses_2"]]);
  } finally {
    await closeDb(other, undefined);
  }
});
