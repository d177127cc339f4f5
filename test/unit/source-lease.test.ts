// Source leases (src/integrations/source-lease.ts): one daemon holds a source at a time;
// only the holder extends or releases it; an expired lease passes to another daemon.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openDb } from "../../src/core/db/client.ts";
import { SourceLease } from "../../src/integrations/source-lease.ts";

test("a lease is held by one owner, fenced, and taken over once expired", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-lease-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = await openDb({ url: `file:${join(dir, "t.db")}`, durability: "process" });
  t.after(() => db.$client.close());
  const a = new SourceLease(db, "node-a", 200);
  const b = new SourceLease(db, "node-b", 200);
  const together = await Promise.all([a.hold("w:1"), b.hold("w:1")]);
  assert.deepEqual(together.filter(Boolean).length, 1, "one of two at once");
  const [holder, other] = together[0] ? [a, b] : [b, a];
  assert.equal(await holder.hold("w:1"), true, "the holder extends it");
  assert.equal(await other.hold("w:1"), false);
  assert.equal(await other.hold("w:2"), true, "another source is free");
  await other.release("w:1");
  assert.equal(await other.hold("w:1"), false, "a release by another owner does nothing");
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(await other.hold("w:1"), true, "expired: taken over");
  assert.equal(await holder.hold("w:1"), false, "the old holder is fenced out");
  await other.release("w:1");
  assert.equal(await holder.hold("w:1"), true, "released: free");
});
