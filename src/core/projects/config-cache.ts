// Config that changes rarely but is read for every event and session (triggers, active
// deployments, a project's environment), kept in memory. Any change drops every entry:
// several daemons may share one database (docs/scale.md), so every lookup first reads the
// embedded client's data version, which changes when another connection commits (SQLite's
// `PRAGMA data_version`); this process's writers of config tables say so themselves
// (writeConfig). A remote database has no such version: nothing is kept.
import type { Db } from "../db/client.ts";
import { perHandle } from "../db/per-handle.ts";

const MAX_ENTRIES = 10_000;

type Versioned = { dataVersion?: () => number | undefined };

export class ConfigCache {
  private version?: string;
  private readonly entries = new Map<string, unknown>();
  // Config writes of this process (see changed).
  private writes = 0;
  private readonly versionOf: () => string | undefined;

  constructor(db: Db) {
    const client = db.$client as unknown as Versioned;
    this.versionOf = () => {
      const data = client.dataVersion?.();
      return data === undefined ? undefined : `${data}:${this.writes}`;
    };
  }

  // Config tables were written (or a write to them ended, committed or not): drops what is
  // kept, and what is loading now is not kept.
  changed(): void {
    this.writes++;
  }

  // The value under `key`, loaded by `load` when missing. Kept only when nothing changed
  // while it loaded. Callers must not modify what they get.
  async get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const v = this.versionOf();
    if (v === undefined) return load();
    if (v !== this.version) {
      this.entries.clear();
      this.version = v;
    }
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const value = await load();
    if (this.versionOf() === v && this.version === v) {
      // Keys come from requests too (unknown webhook slugs): bounded.
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, value);
    }
    return value;
  }
}

// The config cache of a database handle (one per handle, shared by its users).
export const configCache = perHandle((db) => new ConfigCache(db));

// Runs a write to config tables (projects, vars, connections, triggers, deployments,
// builds). The cache is dropped once the write has ended, whether it committed or not
// (a load that ran meanwhile is not kept either: see get), since this connection's own
// commits do not change its data version.
export async function writeConfig<T>(db: Db, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } finally {
    configCache(db).changed();
  }
}
