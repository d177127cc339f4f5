import assert from "node:assert/strict";
import { test } from "node:test";
import { Offload } from "../../src/core/util/offload.ts";
import { offloadWorker } from "../../src/runtime.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const job = { filter: "data.n > 1", vars: { data: { n: 2 }, event_type: "x" } };

test("an offload worker left idle is ended, and the next job starts another", {
  skip: offloadWorker() ? false : "no worker script in this build",
}, async () => {
  const offload = new Offload("filter", 5_000, 64, 200);
  assert.equal((await offload.run(job)).match, true);
  assert.ok(offload.working, "the worker stays for the next job a while");
  await sleep(700);
  assert.equal(offload.working, false, "an idle worker's thread (and its heap) is let go");
  assert.equal((await offload.run(job)).match, true);
  assert.ok(offload.working);
});
