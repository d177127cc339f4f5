// The data dir and the database file: one daemon per data dir (a second one exits naming
// the first; the lock dies with its holder, even by kill -9), a start that finds the last
// run's WAL gone says so, a WAL that SQLite would cut short stops the start, a clean stop
// leaves everything in the database file, `pounce backup` makes one consistent file while
// sessions run, and a `--db file:` elsewhere is created private.
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import {
  daemonFor,
  sleep,
  tempHome,
  TestDaemon,
  webhookPath,
  writeProject,
} from "../helpers/daemon.ts";
import { runHook } from "../helpers/webhook-session.ts";
import { LIBSQL_FILE_ONLY } from "../helpers/stored.ts";

// A project whose webhook session waits until the file named by the event's `gate`
// exists (or returns at once without one).
async function deploy(t: TestContext, d: TestDaemon): Promise<string> {
  const manifest = writeProject(t, {
    "autokitteh.yaml": `version: v1
project:
  name: dd
  triggers:
    - name: hook
      webhook: {}
      call: main.py:main
`,
    "main.py": `import os
import time

def main(event):
    gate = (event.data.body.json or {}).get("gate") if event.data.body.bytes else None
    while gate and not os.path.exists(gate):
        time.sleep(0.05)
    print("done")
    return "ok"
`,
  });
  const out = await d.cli(["deploy", "--manifest", manifest]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout;
}

async function sessionCount(d: TestDaemon, state?: string): Promise<number> {
  const { sessions } = await d.api<{ sessions: { state: string }[] }>("/api/sessions?project=dd");
  return sessions.filter((s) => !state || s.state === state).length;
}

// Rows of `sql` on a copy of `file` alone (no -wal): what that file holds by itself. The
// copy, not the file: a closed libSQL connection lingers until it is garbage-collected, and
// its real close, once the daemon is gone, would fold the daemon's WAL into the file.
async function rowsIn(t: TestContext, file: string, sql: string): Promise<unknown[]> {
  const copy = join(tempHome(t), "copy.db");
  copyFileSync(file, copy);
  const db = createClient({ url: `file:${copy}` });
  try {
    return (await db.execute(sql)).rows.map((r) => r[0]);
  } finally {
    db.close();
  }
}

const mode = (path: string) => statSync(path).mode & 0o777;

test("a second daemon on the data dir exits naming the first; kill -9 frees the data dir", async (t) => {
  const a = await daemonFor(t);
  const second = new TestDaemon(a.home);
  t.after(() => second.kill());
  await assert.rejects(second.start(), (err: Error) => {
    assert.match(err.message, /exited with 42/);
    assert.match(
      err.message,
      new RegExp(`in use by pounce \\(pid ${a.proc!.pid}, serving ${a.url}`),
    );
    return true;
  });
  // The first one is not disturbed.
  assert.deepEqual(Object.keys(await a.api("/api/version")).sort(), ["runtime", "version"]);

  // The kernel drops the lock with its holder, however it dies.
  await a.kill();
  const next = new TestDaemon(a.home);
  t.after(() => next.kill());
  await next.start();
  assert.match(
    readFileSync(join(a.home, "daemon.json"), "utf8"),
    new RegExp(`"pid":${next.proc!.pid}`),
  );
});

test("a start after kill -9 whose WAL was removed warns; a clean stop leaves it all in pounce.db", {
  skip: LIBSQL_FILE_ONLY,
}, async (t) => {
  const d = await daemonFor(t);
  const deployed = await deploy(t, d);
  assert.equal((await runHook(d, deployed, "dd")).state, "completed");
  const db = join(d.home, "pounce.db");

  // A clean stop folds the WAL into the file: pounce.db alone holds the session.
  await d.stop();
  assert.equal(statSync(`${db}-wal`).size, 0);
  assert.deepEqual(await rowsIn(t, db, "SELECT count(*) FROM sessions"), [1]);
  await d.start();
  assert.doesNotMatch(d.stderr, /missing/);

  // kill -9 mid-run: the latest commits are in the WAL only.
  assert.equal((await runHook(d, deployed, "dd")).state, "completed");
  await d.kill();
  assert.ok(statSync(`${db}-wal`).size > 0);
  rmSync(`${db}-wal`);
  rmSync(`${db}-shm`, { force: true });
  await d.start();
  assert.match(
    d.stderr,
    /WARN .*pounce\.db-wal is missing: the daemon's last run did not stop cleanly/,
  );
  // What the warning is about: the second session is gone.
  assert.equal(await sessionCount(d), 1);
});

test("a WAL that fails its checksums before committed frames stops the start", {
  skip: LIBSQL_FILE_ONLY,
}, async (t) => {
  const d = await daemonFor(t);
  const deployed = await deploy(t, d);
  for (let i = 0; i < 3; i++) assert.equal((await runHook(d, deployed, "dd")).state, "completed");
  await d.kill();

  const wal = join(d.home, "pounce.db-wal");
  const bytes = new Uint8Array(readFileSync(wal));
  const pageSize = new DataView(bytes.buffer).getUint32(8);
  bytes[32 + (24 + pageSize) + 24 + 100] ^= 0xff; // a byte of frame 2's page
  writeFileSync(wal, bytes);

  await assert.rejects(d.start(), (err: Error) => {
    assert.match(err.message, /exited with 42/);
    assert.match(
      err.message,
      /pounce\.db-wal is damaged: frame 2 of \d+ fails its checksum, and SQLite would silently drop the \d+ committed transaction\(s\) after it/,
    );
    assert.match(err.message, /--accept-wal-loss/);
    return true;
  });
  // The refusal changed nothing.
  assert.deepEqual(new Uint8Array(readFileSync(wal)), bytes);

  await d.start(["--accept-wal-loss"]);
  assert.match(d.stderr, /WARN starting on a damaged WAL/);
});

test("pounce backup while sessions run writes one consistent file holding them", {
  skip: LIBSQL_FILE_ONLY,
}, async (t) => {
  const d = await daemonFor(t);
  const deployed = await deploy(t, d);
  const gate = join(tempHome(t), "go");
  const hook = d.url + webhookPath(deployed, "hook");
  for (let i = 0; i < 3; i++) {
    const res = await fetch(hook, { method: "POST", body: JSON.stringify({ gate }) });
    assert.equal(res.status, 202);
  }
  for (let i = 0; i < 600 && (await sessionCount(d, "running")) < 3; i++) await sleep(50);
  assert.equal(await sessionCount(d, "running"), 3);

  const out = join(tempHome(t), "backup.db");
  const res = await d.cli(["backup", out]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^wrote .*backup\.db \(\d+ bytes\)/);
  assert.equal(mode(out), 0o600);
  assert.ok(!existsSync(`${out}-wal`));
  assert.deepEqual(await rowsIn(t, out, "PRAGMA integrity_check"), ["ok"]);
  assert.deepEqual(await rowsIn(t, out, "SELECT state FROM sessions"), [
    "running",
    "running",
    "running",
  ]);

  // An existing file is not overwritten.
  const again = await d.cli(["backup", out]);
  assert.equal(again.code, 42);
  assert.match(again.stderr, /exists/);

  writeFileSync(gate, "");
  for (let i = 0; i < 600 && (await sessionCount(d, "completed")) < 3; i++) await sleep(50);
  assert.equal(await sessionCount(d, "completed"), 3);
});

test("a --db file outside the data dir is created 0600, in a new 0700 directory", async (t) => {
  const dir = join(tempHome(t), "x");
  const db = join(dir, "p.db");
  const d = await daemonFor(t, {}, ["--db", `file:${db}`]);
  await deploy(t, d);
  assert.equal(mode(dir), 0o700);
  assert.equal(mode(db), 0o600);
  assert.equal(mode(`${db}-wal`), 0o600);
});
