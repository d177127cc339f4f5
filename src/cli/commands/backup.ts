// `pounce backup <file>`: a consistent copy of the running daemon's database, as one
// SQLite file (the daemon makes it with VACUUM INTO; see core/db/backup.ts).
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { resolve } from "node:path";
import { parse } from "../args.ts";
import { Client, CliError, EXIT } from "../client.ts";
import { print } from "../output.ts";
import { onePositional } from "../subcommands.ts";

const USAGE = "pounce backup <file>";
const SQLITE_MAGIC = "SQLite format 3\0";

export async function backupCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {});
  if (values.help) {
    console.log(
      `usage: ${USAGE}\n\nWrites the running daemon's database to <file> (0600), as one ` +
        "consistent SQLite file. See docs/cli.md.",
    );
    return;
  }
  const file = resolve(onePositional(positionals, USAGE));
  if (existsSync(file)) throw new CliError(`${file} exists; give a new file`, EXIT.precondition);
  const res = await new Client(values).download("/api/backup");
  const partial = `${file}.partial`;
  let fd: number;
  try {
    fd = openSync(partial, "wx", 0o600);
  } catch (err) {
    throw new CliError(`cannot write ${partial}: ${(err as Error).message}`);
  }
  let bytes = 0;
  try {
    for await (const chunk of res.body!) bytes += writeSync(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    checkSqlite(partial);
    renameSync(partial, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch { /* closed already */ }
    rmSync(partial, { force: true });
    throw err instanceof CliError ? err : new CliError(`backup failed: ${(err as Error).message}`);
  }
  print(values, { file, bytes }, () => `wrote ${file} (${bytes} bytes)`);
}

// What came is a whole SQLite file (its header's page count times its page size), not an
// error page or a stream cut short.
function checkSqlite(path: string): void {
  const fd = openSync(path, "r");
  try {
    const head = new Uint8Array(100);
    const n = readSync(fd, head, 0, 100, 0);
    if (n < 100 || new TextDecoder().decode(head.subarray(0, 16)) !== SQLITE_MAGIC) {
      throw new CliError("the daemon did not send a SQLite file");
    }
    const view = new DataView(head.buffer);
    const pageSize = view.getUint16(16) === 1 ? 65536 : view.getUint16(16);
    const expected = pageSize * view.getUint32(28);
    const { size } = fstatSync(fd);
    if (size !== expected) {
      throw new CliError(`the backup was cut short (${size} of ${expected} bytes)`);
    }
  } finally {
    closeSync(fd);
  }
}
