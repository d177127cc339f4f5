// `pounce migrate --from file:… --to postgres://…`: copies a single-node database to
// PostgreSQL (core/db/copy-to-pg.ts), with the source's daemon stopped. No daemon is asked:
// this runs on the databases themselves.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { copyToPostgres, MigrateRefused } from "../../core/db/copy-to-pg.ts";
import { dbFilePath } from "../../core/db/db-file.ts";
import { DataDirBusy, lockDataDir } from "../../core/util/data-dir-lock.ts";
import { dataDir } from "../../core/util/paths.ts";
import { parse } from "../args.ts";
import { CliError, EXIT } from "../client.ts";
import { print } from "../output.ts";

export async function migrateCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    from: { type: "string" },
    to: { type: "string" },
    force: { type: "string" },
  });
  const from = values.from ?? `file:${join(dataDir(), "pounce.db")}`;
  const to = values.to ?? process.env.POUNCE_DB;
  if (!to) throw new CliError("--to postgres://… is required", EXIT.badRequest);
  const file = dbFilePath(from);
  if (!file) throw new CliError(`--from must be a file: URL, not ${from}`, EXIT.badRequest);
  if (!existsSync(file)) throw new CliError(`--from: no database at ${file}`, EXIT.notFound);
  // The daemon of the source's data dir must be stopped: its lock is taken for the copy
  // (a daemon on a --db file outside a data dir is not seen; docs/cli.md says to stop it).
  const dir = dirname(file);
  let lock;
  try {
    lock = existsSync(join(dir, "lock.db")) ? lockDataDir(dir) : undefined;
  } catch (err) {
    if (err instanceof DataDirBusy) throw new CliError(err.message, EXIT.precondition);
    throw err;
  }
  try {
    const report = await copyToPostgres({
      from,
      to,
      force: values.force,
      progress: values.json
        ? undefined
        : (table, rows) => console.error(`copied ${table}: ${rows} rows`),
    });
    const total = report.tables.reduce((n, t) => n + t.rows, 0);
    print(values, report, () => `migrated ${total} rows in ${report.tables.length} tables`);
  } catch (err) {
    if (err instanceof MigrateRefused) throw new CliError(err.message, EXIT.precondition);
    throw err;
  } finally {
    lock?.release();
  }
}
