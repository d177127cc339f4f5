// Start-up checks on the database file (a `file:` database), before SQLite opens it:
//
// - The file is created 0600 (its parent 0700 if missing), wherever it lives; SQLite gives
//   its -wal and -shm files the database file's mode.
// - A WAL that SQLite would silently cut short, dropping committed transactions (see
//   wal-check.ts), stops the start: once SQLite has opened it, the dropped part is gone
//   for good.
// - While the daemon runs, recent commits live in `<db>-wal`, not in the database file; a
//   copy of the file alone lacks them. <data dir>/db-in-use records that a run has the
//   database open; it is removed at a clean stop (when SQLite folds the WAL back into the
//   file). A start that finds it, and finds the WAL gone, says that commits may be lost.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { log } from "../util/log.ts";
import { keepPrivate } from "../util/paths.ts";
import { checkWal, type WalDamage } from "./wal-check.ts";

export class DbRefused extends Error {}

export type DbFileOptions = {
  // Start even on a damaged WAL, keeping what SQLite can read of it.
  acceptWalLoss?: boolean;
  // The data dir's own database: narrowed to 0600 at every start, like the token.
  inDataDir?: boolean;
};

// The path of a `file:` URL, undefined for a libSQL server.
export function dbFilePath(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  return url.replace(/^file:(\/\/(?=\/))?/, "");
}

// Returns what to call after the database is closed cleanly.
export function guardDbFile(
  dataDir: string,
  db: string,
  opts: DbFileOptions = {},
): { closed(): void } {
  const existed = existsSync(db);
  if (!existed) mkdirSync(dirname(db), { recursive: true, mode: 0o700 });
  closeSync(openSync(db, "a", 0o600));
  if (opts.inDataDir) keepPrivate(db, 0o600);

  const damage = checkWal(`${db}-wal`);
  if (damage && !opts.acceptWalLoss) throw new DbRefused(damageMessage(damage));
  if (damage) log.warn("starting on a damaged WAL (--accept-wal-loss)", { ...damage });

  const marker = join(dataDir, "db-in-use");
  const last = readMarker(marker);
  if (last === db && !existsSync(`${db}-wal`)) {
    log.warn(
      existed
        ? `${db}-wal is missing: the daemon's last run did not stop cleanly and left one. ` +
          `Commits it held are not in ${db} (a copy of ${db} taken without its -wal lacks ` +
          "them; `pounce backup` makes one whole file). If another daemon shares this " +
          "database and stopped cleanly since, nothing is lost."
        : `${db} is missing: the daemon's last run used it; starting with an empty database`,
    );
  }
  writeFileSync(marker, JSON.stringify({ db, pid: process.pid }) + "\n", { mode: 0o600 });
  return { closed: () => rmSync(marker, { force: true }) };
}

function readMarker(file: string): string | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")).db;
  } catch {
    return undefined;
  }
}

function damageMessage(d: WalDamage): string {
  const what = d.badFrame === 0
    ? d.lostCommits
      ? `its header fails its checksum, so SQLite would ignore all ${d.frames} frames ` +
        `(${d.lostCommits} committed transactions)`
      : "its header is not a SQLite WAL header, so SQLite would ignore the whole file"
    : `frame ${d.badFrame} of ${d.frames} fails its checksum, and SQLite would silently ` +
      `drop the ${d.lostCommits} committed transaction(s) after it`;
  return `${d.file} is damaged: ${what}. The database was not opened. ` +
    "Restore the data dir (or the database file with its -wal) from a backup, or copy " +
    `${d.file} aside and start with --accept-wal-loss to keep what SQLite can read ` +
    "(the transactions before the damage).";
}
