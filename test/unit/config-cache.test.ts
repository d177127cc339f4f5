// The config cache (src/core/projects/config-cache.ts): what it keeps is dropped when another
// connection commits, when this process writes a config table (writeConfig), when such a
// write rolls back, and when the shared commit that held it fails; other writes keep it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import { sql } from "drizzle-orm";
import { configCache, writeConfig } from "../../src/core/projects/config-cache.ts";
import { openDb } from "../../src/core/db/client.ts";
import { groupCommit } from "../../src/core/db/group-commit.ts";

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
  const gc = groupCommit(db);
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
  await writeConfig(db, () => gc.write((tx) => tx.run(sql.raw(insertVar("b")))));
  assert.deepEqual(await names(), ["a", "b"]);
  assert.equal(loads, 3);

  // A transaction that wrote one and rolled back.
  await assert.rejects(writeConfig(db, () =>
    db.transaction(async (tx) => {
      await tx.run(insertVar("c"));
      throw new Error("no");
    })));
  assert.deepEqual(await names(), ["a", "b"]);

  // A config write in a shared commit that fails (another write of its batch fails the
  // transaction): nothing of it is served after.
  const lost = writeConfig(db, () => gc.write((tx) => tx.run(sql.raw(insertVar("d")))));
  const failing = gc.write(() => Promise.reject(new Error("the batch's transaction fails")));
  await assert.rejects(failing);
  await assert.rejects(lost);
  assert.deepEqual(await names(), ["a", "b"]);

  // Writes to other tables keep it.
  assert.deepEqual(await names(), ["a", "b"]);
  const before = loads;
  await gc.write((tx) =>
    tx.run(sql.raw(
      "INSERT INTO seen_requests (key, expires_at) VALUES ('s', 0)",
    ))
  );
  assert.deepEqual(await names(), ["a", "b"]);
  assert.equal(loads, before);
});
