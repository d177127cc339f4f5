// What is read often and changes rarely, kept in memory while the database says it holds.
// Any change drops every entry: several daemons may share one database (docs/scale.md), so
// every lookup first reads the embedded client's data version, which changes when another
// connection commits (SQLite's `PRAGMA data_version`); this process's own writers of the
// tables behind it say so themselves (`writing`), since its own commits do not change its
// data version. A libSQL server has no such version, and PostgreSQL's (pg-notify.ts)
// changes only with the config tables: elsewhere nothing is kept.
import type { Db } from "./client.ts";
import { isPostgres } from "./dialect.ts";

const MAX_ENTRIES = 10_000;

type Versioned = { dataVersion?: () => number | undefined };

export class VersionedCache {
  private version?: string;
  private readonly entries = new Map<string, unknown>();
  // Writes of this process that have ended, and those going on (while one is, its rows
  // may be committed already: nothing is served or kept).
  private writes = 0;
  private inFlight = 0;
  private readonly versionOf: () => string | undefined;

  // `tables`: what the kept values are read from; on PostgreSQL only config tables have a
  // version.
  constructor(db: Db, tables: "config" | "any" = "config") {
    const client = (tables === "any" && isPostgres(db) ? {} : db.$client) as Versioned;
    this.versionOf = () => {
      if (this.inFlight) return undefined;
      const data = client.dataVersion?.();
      return data === undefined ? undefined : `${data}:${this.writes}`;
    };
  }

  // Runs a write to the tables behind this cache: what is kept is dropped once it has
  // ended, committed or not, and nothing is kept while it runs.
  async writing<T>(write: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await write();
    } finally {
      this.inFlight--;
      this.writes++;
    }
  }

  // The value under `key`, loaded by `load` when missing. Kept only when nothing changed
  // while it loaded, and `keep` says so. Callers must not modify what they get.
  async get<T>(key: string, load: () => Promise<T>, keep?: (value: T) => boolean): Promise<T> {
    const v = this.versionOf();
    if (v === undefined) return load();
    if (v !== this.version) {
      this.entries.clear();
      this.version = v;
    }
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const value = await load();
    if (this.versionOf() === v && this.version === v && (!keep || keep(value))) {
      // Keys come from requests too (unknown webhook slugs): bounded.
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, value);
    }
    return value;
  }
}
