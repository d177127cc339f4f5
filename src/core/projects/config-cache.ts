// Config that changes rarely but is read for every event and session (triggers, active
// deployments, a project's environment), kept in memory while the database says it holds
// (db/versioned-cache.ts). This process's writers of config tables go through writeConfig.
import type { Db } from "../db/client.ts";
import { perHandle } from "../db/per-handle.ts";
import { VersionedCache } from "../db/versioned-cache.ts";

// The config cache of a database handle (one per handle, shared by its users).
export const configCache = perHandle((db) => new VersionedCache(db));

// Runs a write to config tables (projects, vars, connections, triggers, deployments,
// builds). The cache is dropped once the write has ended, whether it committed or not,
// and serves nothing while it runs.
export function writeConfig<T>(db: Db, write: () => Promise<T>): Promise<T> {
  return configCache(db).writing(write);
}
