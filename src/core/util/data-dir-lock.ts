// One daemon per data dir. Two daemons on one data dir take the same node id and run the
// same sessions' activities twice, so `pounce up` takes a lock on the data dir first and
// holds it for its whole life.
//
// The lock is SQLite's own: an exclusive transaction kept open on <data dir>/lock.db. It is
// a POSIX record lock (fcntl) under the hood, so the kernel drops it when the process dies
// however it dies (kill -9 included): no stale lock to clean up, no pid to guess about,
// and taking it is atomic. node:fs exposes no flock/fcntl; the npm packages that do are
// native addons, a burden for the single binary, while libSQL's addon is there already
// and works the same on Node, Deno and the binary. (A Unix socket bound in the data dir
// would be kernel-released too, but a stale socket file must be unlinked before the next
// bind, and two daemons starting at once could both unlink and both bind.)
//
// The holder writes its pid and URL to <data dir>/daemon.json, so a second daemon can say
// which one runs.
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";

export class DataDirBusy extends Error {}

export type DataDirLock = {
  // Records where the daemon serves, for the message a second daemon prints.
  setUrl(url: string): void;
  release(): void;
};

type Holder = { pid: number; url?: string; started: string };

export function lockDataDir(dir: string): DataDirLock {
  const file = join(dir, "lock.db");
  closeSync(openSync(file, "a", 0o600));
  const db = new Database(file, { timeout: 0 } as never);
  try {
    // No journal file: nothing is ever written.
    db.exec("PRAGMA journal_mode = MEMORY");
    db.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    if (!/locked|busy/i.test((err as Error).message)) throw err;
    throw new DataDirBusy(busyMessage(dir, readHolder(dir)));
  }
  const holder: Holder = { pid: process.pid, started: new Date().toISOString() };
  writeHolder(dir, holder);
  return {
    setUrl(url) {
      writeHolder(dir, { ...holder, url });
    },
    release() {
      if (!db.open) return;
      rmSync(holderFile(dir), { force: true });
      db.close();
    },
  };
}

function busyMessage(dir: string, holder: Holder | undefined): string {
  const who = holder && isAlive(holder.pid)
    ? `pounce (pid ${holder.pid}${
      holder.url ? `, serving ${holder.url}` : ", still starting"
    }, since ${holder.started})`
    : "another pounce that is starting";
  return `the data dir ${dir} is in use by ${who}; ` +
    "stop it first, or give this daemon its own data dir (POUNCE_HOME)";
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function holderFile(dir: string): string {
  return join(dir, "daemon.json");
}

function writeHolder(dir: string, holder: Holder): void {
  const tmp = `${holderFile(dir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(holder) + "\n", { mode: 0o600 });
  renameSync(tmp, holderFile(dir));
}

function readHolder(dir: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(holderFile(dir), "utf8"));
    return typeof holder?.pid === "number" ? holder : undefined;
  } catch {
    return undefined;
  }
}
