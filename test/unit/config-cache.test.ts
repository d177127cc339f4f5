// The config cache (src/core/projects/config-cache.ts): what it keeps is dropped when another
// connection commits, when this process writes a config table (writeConfig), when such a
// write rolls back, and when the shared commit that held it fails; other writes keep it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import { configCache, writeConfig } from "../../src/core/projects/config-cache.ts";
import { openDb } from "../../src/core/db/client.ts";

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("kept config is dropped by any change to it, from any connection", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-cc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = `file:${join(dir, "t.db")}`;
  const db = await openDb({ url, durability: "process" });
  t.after(() => db.$client.close());
  const other = createClient({ url });
  t.after(() => other.close());
  const cache = configCache(db);
  const insertVar = (name: string) =>
    `INSERT INTO vars (scope_id, name, value, created_at, updated_at)
     VALUES ('p', '${name}', 'v', 0, 0)`;
  let loads = 0;
  const names = () =>
    cache.get("vars", async () => {
      loads++;
      const { rows } = await db.$client.execute("SELECT name FROM vars ORDER BY name");
      return rows.map((r) => String(r.name));
    });

  assert.deepEqual(await names(), []);
  assert.deepEqual(await names(), []);
  assert.equal(loads, 1);

  // Another connection (another daemon) commits.
  await other.execute(insertVar("a"));
  await tick();
  assert.deepEqual(await names(), ["a"]);
  assert.equal(loads, 2);

  // This process writes a config table: seen at once, even in the same loop pass.
  await writeConfig(db, () => db.$client.execute(insertVar("b")));
  assert.deepEqual(await names(), ["a", "b"]);
  assert.equal(loads, 3);

  // A transaction that wrote one and rolled back.
  await assert.rejects(writeConfig(db, () =>
    db.transaction(async (tx) => {
      await tx.run(insertVar("c"));
      throw new Error("no");
    })));
  assert.deepEqual(await names(), ["a", "b"]);

  // A write that joined the shared transaction, which this process reads (and the cache
  // may keep) before it commits, then is lost with it: nothing of it is served after.
  let lostLoads = 0;
  const lostNames = () =>
    cache.get("vars, during a lost write", async () => {
      lostLoads++;
      const { rows } = await db.$client.execute("SELECT name FROM vars ORDER BY name");
      return rows.map((r) => String(r.name));
    });
  const lost = writeConfig(db, () => db.$client.execute(insertVar("d")));
  const seen = lostNames();
  // A statement that rolls the whole shared transaction back (as SQLITE_FULL would).
  const rollback = db.$client.execute("ROLLBACK");
  assert.deepEqual(await seen, ["a", "b", "d"]);
  await rollback;
  await assert.rejects(lost, /rolled back|closed/i);
  assert.deepEqual(await lostNames(), ["a", "b"]);
  assert.equal(lostLoads, 2);

  // Writes to other tables keep it.
  assert.deepEqual(await names(), ["a", "b"]);
  const before = loads;
  await db.$client.execute(
    "INSERT INTO session_logs (session_id, seq, type, data, created_at) VALUES ('s', 1, 'print', '{}', 0)",
  );
  assert.deepEqual(await names(), ["a", "b"]);
  assert.equal(loads, before);
});
