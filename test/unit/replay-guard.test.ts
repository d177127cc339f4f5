// The replay guard (src/integrations/replay-guard.ts): a request is stored once however
// many copies arrive at once (its key is claimed in one statement, so daemons sharing the
// database agree too); a failed store lets a resent copy through.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openDb } from "../../src/core/db/client.ts";
import { ReplayGuard, replayKey } from "../../src/integrations/replay-guard.ts";

const DAY = 24 * 3600_000;

test("copies arriving together are stored once", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-rg-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = `file:${join(dir, "t.db")}`;
  const db = await openDb({ url, durability: "process" });
  t.after(() => db.$client.close());
  const guards = [new ReplayGuard(db), new ReplayGuard(db)];
  const key = replayKey("github", "mac-of-the-body");
  let stores = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => open = resolve);
  // The first copy's store waits while the others arrive.
  const copies = [0, 1, 2, 3].map((i) =>
    guards[i % 2].once([key], DAY, async () => {
      stores++;
      await gate;
      return "stored";
    })
  );
  const settled = await Promise.race([
    Promise.all(copies.slice(1)),
    new Promise((r) => setTimeout(r, 2000, "waiting")),
  ]);
  open();
  const all = await Promise.all(copies);
  assert.notEqual(settled, "waiting", "copies did not wait for the first to be stored");
  assert.equal(stores, 1);
  assert.deepEqual(all.map((r) => r.replay).sort(), [false, true, true, true]);
  assert.deepEqual((await guards[1].once([key], DAY, () => Promise.resolve(1))).replay, true);
  // Seen under any of its names, a request is a replay, and claims none of the others.
  const other = replayKey("github", "mac-with-another-secret");
  assert.equal((await guards[0].once([other, key], DAY, () => Promise.resolve(1))).replay, true);
  assert.equal((await guards[0].once([other], DAY, () => Promise.resolve(1))).replay, false);
});

test("a store that fails lets a resent copy through", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-rg-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = await openDb({ url: `file:${join(dir, "t.db")}`, durability: "process" });
  t.after(() => db.$client.close());
  const guard = new ReplayGuard(db);
  const key = replayKey("slack", "v0=abc");
  await assert.rejects(guard.once([key], DAY, () => Promise.reject(new Error("disk full"))));
  assert.deepEqual(await guard.once([key], DAY, () => Promise.resolve("ok")), {
    replay: false,
    result: "ok",
  });
});
