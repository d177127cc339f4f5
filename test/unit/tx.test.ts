// execOn (src/core/db/tx.ts) is the one place that reaches into drizzle's internals: it
// takes the libSQL transaction from drizzle's transaction object (`session.tx`). This
// fails, saying so, if a drizzle upgrade moves it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { sql } from "drizzle-orm";
import { openDb } from "../../src/core/db/client.ts";
import { execOn, type Tx } from "../../src/core/db/tx.ts";

const MOVED = "drizzle's transaction no longer keeps the libSQL transaction at `session.tx`: " +
  "update execOn in src/core/db/tx.ts for this drizzle version";

test("execOn runs on drizzle's transaction (and its savepoints), not beside it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-tx-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = await openDb({ url: `file:${join(dir, "t.db")}`, durability: "process" });
  t.after(() => db.$client.close());
  await db.$client.batch(["CREATE TABLE t (k TEXT PRIMARY KEY)"], "write");
  const keys = async (tx: Tx) =>
    (await tx.all<{ k: string }>(sql.raw("SELECT k FROM t ORDER BY k"))).map((r) => r.k);

  await assert.rejects(
    db.transaction(async (tx) => {
      const shape = (tx as unknown as { session?: { tx?: { execute?: unknown } } }).session;
      assert.equal(typeof shape?.tx?.execute, "function", MOVED);
      await execOn(tx)("INSERT INTO t VALUES (?)", ["a"]);
      assert.deepEqual(await keys(tx), ["a"], MOVED);
      await tx.transaction(async (sp) => {
        await execOn(sp)("INSERT INTO t VALUES (?)", ["b"]);
        assert.deepEqual(await keys(sp), ["a", "b"], MOVED);
        sp.rollback();
      }).catch(() => {});
      assert.deepEqual(await keys(tx), ["a"], MOVED);
      throw new Error("roll back");
    }),
    /roll back/,
  );
  // What execOn wrote was in the transaction: rolled back with it.
  assert.deepEqual((await db.$client.execute("SELECT k FROM t")).rows, [], MOVED);
  assert.throws(() => execOn({} as Tx), /not a libSQL transaction/);
});
