// Fenced journal commits (src/core/sessions/fence.ts): a claim moves a session's lease
// epoch on, and a write fenced by an earlier epoch fails alone in its group-commit batch,
// having written nothing (nor its log records), while the batch's other writes commit. On
// libSQL, and on PostgreSQL whenever the test server answers (test/helpers/pg.ts).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { closeDb, openDb } from "../../src/core/db/client.ts";
import { groupCommit } from "../../src/core/db/group-commit.ts";
import { execOn, type Tx } from "../../src/core/db/tx.ts";
import { LeaseLost, sessionFence } from "../../src/core/sessions/fence.ts";
import { Leases } from "../../src/core/sessions/leases.ts";
import { dropDatabase, freshDatabase, PG_SERVER, reachable } from "../helpers/pg.ts";
import { queryDb } from "../helpers/stored.ts";

type Backend = "libsql" | "postgres";
const pgSkip = await reachable(PG_SERVER)
  ? false
  : "no PostgreSQL server for tests (set POUNCE_TEST_PG; see test/helpers/pg.ts)";

async function fresh(t: { after(fn: () => unknown): void }, backend: Backend) {
  let url: string;
  if (backend === "postgres") {
    url = await freshDatabase(PG_SERVER);
  } else {
    const dir = mkdtempSync(join(tmpdir(), "pounce-fence-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    url = `file:${join(dir, "t.db")}`;
  }
  const db = await openDb({ url, durability: "process" });
  // After hooks run in the order they were added: the database closes before it is dropped.
  t.after(async () => {
    await closeDb(db, undefined);
    if (backend === "postgres") await dropDatabase(url);
  });
  const rows = [
    "INSERT INTO projects (id, name, created_at, updated_at) VALUES ('prj_t', 't', 0, 0)",
    ...["ses_a", "ses_b"].map((id) =>
      `INSERT INTO sessions (id, project_id, build_id, entrypoint, inputs, memo, is_durable,
         state, created_at, updated_at)
       VALUES ('${id}', 'prj_t', 'bld_t', 'p.py:f', '{}', '{}', TRUE, 'running', 0, 0)`
    ),
  ];
  if (backend === "postgres") { for (const sql of rows) await db.$client.execute(sql); }
  else await db.$client.batch(rows, "write");
  // Another connection, as another process would see the database.
  const steps = async () =>
    (await queryDb(url, "SELECT session_id, seq FROM session_steps ORDER BY session_id, seq"))
      .map((r) => `${r.session_id}:${r.seq}`);
  const logs = async () =>
    (await queryDb(url, "SELECT session_id, seq FROM session_logs ORDER BY session_id, seq"))
      .map((r) => `${r.session_id}:${r.seq}`);
  return { db, steps, logs };
}

const step = (session: string, seq: number) => (tx: Tx) =>
  execOn(tx)(
    `INSERT INTO session_steps (session_id, seq, kind, name, started_at)
     VALUES (?, ?, 'activity', 'f', 0)`,
    [session, seq],
  );

const logRow = (sessionId: string, seq: number) => ({
  sessionId,
  seq,
  type: "print" as const,
  data: { text: "x" },
  createdAt: 0,
});

for (const backend of ["libsql", "postgres"] as const) {
  const skip = backend === "postgres" && pgSkip;

  test(`${backend}: every claim moves the lease epoch on; renewals do not`, { skip }, async (t) => {
    const { db } = await fresh(t, backend);
    const a = new Leases(db, "node-a", 60_000);
    const b = new Leases(db, "node-b", 60_000);
    const first = await a.claimRow("ses_a");
    assert.equal(first?.leaseEpoch, 1);
    assert.equal(await b.claimRow("ses_a"), undefined, "a live lease is not taken");
    await a.renew();
    // Node A restarting claims its own session again: a new epoch too.
    assert.equal((await a.claimRow("ses_a"))?.leaseEpoch, 2);
  });

  test(
    `${backend}: a write fenced by an old epoch fails alone and writes nothing; the batch commits`,
    { skip },
    async (t) => {
      const { db, steps, logs } = await fresh(t, backend);
      const gc = groupCommit(db);
      const a = new Leases(db, "node-a", 1);
      const b = new Leases(db, "node-b", 60_000);
      const stale = sessionFence((await a.claimRow("ses_a"))!);
      await new Promise((r) => setTimeout(r, 5)); // A's lease runs out
      const taken = await b.claimRow("ses_a");
      assert.equal(taken?.leaseEpoch, 2);
      const current = sessionFence(taken!);
      const other = sessionFence((await b.claimRow("ses_b"))!);

      const before = { ...gc.stats };
      const results = await Promise.allSettled([
        gc.write(step("ses_b", 1), { fence: other }),
        // Not isolated, and fenced out: it must fail alone all the same.
        gc.write(step("ses_a", 1), { fence: stale }),
        gc.writeWithLogs(step("ses_a", 2), [logRow("ses_a", 1)], stale),
        gc.appendLog(logRow("ses_a", 2), { fence: stale }),
        gc.write(step("ses_a", 3), { fence: current, isolated: true }),
        gc.appendLog(logRow("ses_a", 3), { fence: current }),
        gc.appendLog(logRow("ses_b", 1)),
      ]);
      assert.equal(gc.stats.commits - before.commits, 1, "one batch");
      assert.deepEqual(results.map((r) => r.status), [
        "fulfilled",
        "rejected",
        "rejected",
        "rejected",
        "fulfilled",
        "fulfilled",
        "fulfilled",
      ]);
      for (const r of results.filter((r) => r.status === "rejected")) {
        const err = (r as PromiseRejectedResult).reason;
        assert.ok(err instanceof LeaseLost, String(err));
        assert.match(err.message, /ses_a: this node's lease \(epoch 1\) was taken over/);
      }
      assert.deepEqual(await steps(), ["ses_a:3", "ses_b:1"]);
      assert.deepEqual(await logs(), ["ses_a:3", "ses_b:1"]);
    },
  );
}
