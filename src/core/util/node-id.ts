// This daemon's name among daemons sharing a database: kept in the data dir, so a
// restarted daemon takes back its own sessions at once instead of waiting for its leases
// to expire. One daemon runs per data dir (data-dir-lock.ts), so this id is its own.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

export function nodeIdFor(dataDir: string): string {
  const file = join(dataDir, "node-id");
  if (!existsSync(file)) {
    const id = `${hostname()}-${crypto.randomUUID().slice(0, 8)}`;
    try {
      writeFileSync(file, id + "\n", { mode: 0o600, flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return readFileSync(file, "utf8").trim();
}
