// Migration 0002 gives the child tables foreign keys with ON DELETE CASCADE: data survives
// it, session_logs' and signals' ids are never reused across it, and deleting a project
// or a session deletes its children.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "libsql";
import { openDb } from "../../src/core/db/client.ts";
import { migrations } from "../../src/core/db/migrations.gen.ts";
import { deleteProject, projectByRef } from "../../src/core/projects/projects.ts";
import { SecretBox } from "../../src/core/projects/secrets.ts";
import { LogBus } from "../../src/core/sessions/log-bus.ts";
import { Sessions } from "../../src/core/sessions/rows.ts";

// A database as the migrations before 0002 left it.
function oldDatabase(file: string): void {
  const conn = new Database(file);
  conn.exec(
    "CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)",
  );
  for (const m of migrations.slice(0, 2)) {
    for (const s of m.sql) if (s.trim()) conn.exec(s);
    conn.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)")
      .run(m.hash, m.folderMillis);
  }
  conn.exec(`
    INSERT INTO projects VALUES ('prj_a', 'a', NULL, 1, 1), ('prj_b', 'b', NULL, 1, 1);
    INSERT INTO connections VALUES ('con_a', 'prj_a', 'c', 'slack', 1, 1);
    INSERT INTO source_states VALUES ('con_a', 'watch', '{}', 1), ('con_gone', 'watch', '{}', 1);
    INSERT INTO vars VALUES ('prj_a', 'V', 'v', 0, NULL, 1, 1), ('con_a', 'W', 'w', 0, NULL, 1, 1);
    INSERT INTO triggers (id, project_id, name, source_type, is_durable, created_at, updated_at)
      VALUES ('trg_a', 'prj_a', 't', 'webhook', 0, 1, 1);
    INSERT INTO builds VALUES ('bld_a', 'prj_a', x'00', '[]', 1);
    INSERT INTO deployments VALUES ('dep_a', 'prj_a', 'bld_a', 'active', 1, 1);
    INSERT INTO store_values VALUES ('prj_a', 'k', '1', 0, 1, 1), ('prj_gone', 'k', '1', 0, 1, 1);
  `);
  for (const [id, project] of [["ses_a1", "prj_a"], ["ses_a2", "prj_a"], ["ses_b", "prj_b"]]) {
    conn.prepare(
      `INSERT INTO sessions (id, project_id, build_id, entrypoint, inputs, memo, is_durable, state,
         created_at, updated_at) VALUES (?, ?, 'bld_a', 'main.py:on', '{}', '{}', 1, 'completed', 1, 1)`,
    ).run(id, project);
  }
  let seq = 0;
  for (const session of ["ses_a1", "ses_a2", "ses_b", "ses_b", "ses_b"]) {
    seq++;
    conn.prepare(
      "INSERT INTO session_logs (session_id, seq, type, data, created_at) VALUES (?, ?, 'print', '{}', 1)",
    ).run(session, seq);
    conn.prepare(
      "INSERT INTO session_steps (session_id, seq, kind, name, started_at) VALUES (?, ?, 'activity', 'f', 1)",
    ).run(session, seq);
    conn.prepare(
      "INSERT INTO signals (session_id, name, created_at) VALUES (?, 's', 1)",
    ).run(session);
    conn.prepare(
      "INSERT INTO subscriptions (id, session_id, destination_id, cursor, created_at) VALUES (?, ?, 'trg_a', 0, 1)",
    ).run(`sub_${seq}`, session);
  }
  // The highest ids were taken and their rows deleted since: never to be given again.
  conn.exec(`
    INSERT INTO session_logs (id, session_id, seq, type, data, created_at)
      VALUES (40, 'ses_b', 99, 'print', '{}', 1);
    DELETE FROM session_logs WHERE id = 40;
    INSERT INTO signals (seq, session_id, name, created_at) VALUES (30, 'ses_b', 's', 1);
    DELETE FROM signals WHERE seq = 30;
  `);
  conn.close();
}

test("migration 0002 keeps the rows and the id counters, and deletes cascade", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-fk-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "t.db");
  oldDatabase(file);
  const db = await openDb({ url: `file:${file}`, durability: "process" });
  t.after(() => db.$client.close());
  const one = async (sql: string) => (await db.$client.execute(sql)).rows[0];
  const count = async (table: string) => Number((await one(`SELECT count(*) FROM ${table}`))[0]);

  assert.equal(Number((await one("PRAGMA foreign_keys"))[0]), 1);
  assert.equal((await db.$client.execute("PRAGMA foreign_key_check")).rows.length, 0);
  for (const table of ["session_logs", "session_steps", "signals", "subscriptions"]) {
    assert.equal(await count(table), 5, table);
    const [fk] = (await db.$client.execute(`PRAGMA foreign_key_list(${table})`)).rows;
    assert.deepEqual([fk?.table, fk?.on_delete], ["sessions", "CASCADE"], table);
  }
  assert.equal(await count("sessions"), 3);
  // Rows whose owner was already gone are not carried over.
  assert.equal(await count("store_values"), 1);
  // Kept for its source to read once the connection is gone (no foreign key).
  assert.equal(await count("source_states"), 2);
  assert.equal(await count("triggers"), 1);
  assert.equal(await count("__drizzle_migrations"), migrations.length);
  const indexes = (await db.$client.execute(
    "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  )).rows.map((r) => r.name);
  assert.deepEqual(indexes, [
    "connections_project_name",
    "deployments_project",
    "events_destination",
    "events_id_unique",
    "projects_name_unique",
    "seen_requests_expiry",
    "session_logs_session_seq",
    "sessions_owner",
    "sessions_project",
    "sessions_state",
    "sessions_wake",
    "signals_session",
    "subscriptions_destination",
    "subscriptions_session",
    "triggers_project_name",
    "triggers_webhook_slug_unique",
  ]);

  const sessions = new Sessions(db, new LogBus(), SecretBox.load(dir));
  const log = await sessions.openLog({ id: "ses_b", projectId: "prj_b" });
  const appended = log.append("print", { text: "after" });
  await log.flushed();
  await appended;
  assert.equal(Number((await one("SELECT max(id) FROM session_logs"))[0]), 41);
  await db.$client.batch([
    "INSERT INTO signals (session_id, name, created_at) VALUES ('ses_b', 's', 1)",
  ], "write");
  assert.equal(Number((await one("SELECT max(seq) FROM signals"))[0]), 31);

  // A session's delete takes its log, journal, signals and subscriptions with it.
  await sessions.remove("ses_a1");
  for (const table of ["session_logs", "session_steps", "signals", "subscriptions"]) {
    const n = await one(`SELECT count(*) FROM ${table} WHERE session_id = 'ses_a1'`);
    assert.equal(Number(n[0]), 0, table);
  }
  // A project's delete takes everything of it, its sessions' children too, and nothing else.
  await deleteProject(db, (await projectByRef(db, "a"))!);
  for (const table of ["session_logs", "session_steps", "signals", "subscriptions"]) {
    const n = await one(`SELECT count(*) FROM ${table} WHERE session_id LIKE 'ses_a%'`);
    assert.equal(Number(n[0]), 0, table);
  }
  const left = ["connections", "triggers", "builds", "deployments", "store_values"];
  for (const table of [...left, "vars"]) {
    assert.equal(await count(table), 0, table);
  }
  assert.equal(await count("sessions"), 1);
  assert.equal(await count("session_logs"), 4);
});
