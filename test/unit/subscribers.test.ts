// An event's candidate subscriptions (src/core/triggers/subscribers.ts): a destination found
// with no subscriptions is not read again while nothing changed, and is read again once
// this process subscribes or another connection commits.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@libsql/client";
import { closeDb, openDb, statementCounts } from "../../src/core/db/client.ts";
import { groupCommit } from "../../src/core/db/group-commit.ts";
import { execOn } from "../../src/core/db/tx.ts";
import type { EventRow } from "../../src/core/events.ts";
import { SecretBox } from "../../src/core/projects/secrets.ts";
import { LogBus } from "../../src/core/sessions/log-bus.ts";
import { Sessions } from "../../src/core/sessions/rows.ts";
import {
  candidateSubscriptions,
  insertingSubscriptions,
} from "../../src/core/triggers/subscribers.ts";

const tick = () => new Promise((resolve) => setImmediate(resolve));

const SUBSCRIBE = `INSERT INTO subscriptions (id, session_id, destination_id, cursor, created_at)
  VALUES (?, 'ses_sub', ?, 0, 0)`;

test("a destination without subscriptions is remembered until something changes", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-subs-"));
  const file = join(dir, "t.db");
  const db = await openDb({ url: `file:${file}` });
  t.after(async () => {
    await closeDb(db, file);
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (sql: string, args: string[] = []) =>
    groupCommit(db).write((tx) => execOn(tx)(sql, args));
  await write(
    "INSERT INTO projects (id, name, created_at, updated_at) VALUES ('prj_sub', 'sub', 0, 0)",
  );
  await new Sessions(db, new LogBus(), new SecretBox(randomBytes(32))).add({
    id: "ses_sub",
    projectId: "prj_sub",
    buildId: "bld_sub",
    entrypoint: "program.py:on_event",
    inputs: {},
    memo: {},
    isDurable: true,
    state: "running",
    createdAt: 0,
    updatedAt: 0,
  });
  const event = (destinationId: string) =>
    ({ destinationId, eventType: "webhook", data: {} }) as unknown as EventRow;
  const candidates = async (destinationId: string) =>
    (await candidateSubscriptions(db, event(destinationId))).map((c) => c.sessionId);
  const statements = () => statementCounts(db)!.statements;

  assert.deepEqual(await candidates("trg_a"), []);
  await tick();
  const before = statements();
  assert.deepEqual(await candidates("trg_a"), []);
  assert.deepEqual(await candidates("trg_a"), []);
  // The database's data version only (once per pass of the event loop), not the read.
  assert.ok(statements() - before <= 1, `${statements() - before} statements`);

  // This process subscribes.
  await insertingSubscriptions(db, () => write(SUBSCRIBE, ["s1", "trg_a"]));
  await tick();
  assert.deepEqual(await candidates("trg_a"), ["ses_sub"]);

  // Another connection subscribes (another daemon on the same file).
  assert.deepEqual(await candidates("trg_b"), []);
  const other = createClient({ url: `file:${file}` });
  t.after(() => other.close());
  await other.execute({ sql: SUBSCRIBE, args: ["s2", "trg_b"] });
  await tick();
  assert.deepEqual(await candidates("trg_b"), ["ses_sub"]);
});
