// The schema on PostgreSQL, made from schema.ts (the one definition): every SQLite table
// becomes a PostgreSQL table with the same names, keys, defaults, indexes and foreign
// keys. drizzle-kit generates the PostgreSQL migrations from this module
// (drizzle-pg.config.ts); queries keep using schema.ts's tables (dialect.ts says why).
//
// Types: text stays text (collated "C"); integers (epoch ms, counters) become bigint; a boolean becomes
// boolean; a JSON column becomes json (its text kept as written, so rows read back as they
// do from SQLite); a blob becomes bytea; an AUTOINCREMENT key becomes an identity column.
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  bigint,
  boolean,
  customType,
  foreignKey,
  index,
  json,
  type PgColumnBuilderBase,
  pgTable,
  type PgTableWithColumns,
  primaryKey,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import * as sqlite from "./schema.ts";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });
// Text compares and sorts by its bytes, as SQLite's BINARY does, whatever the database's
// collation: ORDER BY a name or key (projects, vars, store keys), id tie-breaks and
// comparisons give the same order on both backends (a locale's collation would not).
const binaryText = customType<{ data: string; driverData: string }>({
  dataType: () => 'text COLLATE "C"',
});

// deno-lint-ignore no-explicit-any
type AnyBuilder = any;

function column(c: SQLiteColumn): PgColumnBuilderBase {
  let b: AnyBuilder;
  switch (c.columnType) {
    case "SQLiteText":
      b = binaryText(c.name);
      break;
    case "SQLiteTextJson":
      b = json(c.name);
      break;
    case "SQLiteInteger":
      b = bigint(c.name, { mode: "number" });
      if ((c as unknown as { autoIncrement?: boolean }).autoIncrement) {
        b = b.generatedByDefaultAsIdentity();
      }
      break;
    case "SQLiteBoolean":
      b = boolean(c.name);
      break;
    case "SQLiteBlobBuffer":
      b = bytea(c.name);
      break;
    default:
      throw new Error(`schema-pg: no PostgreSQL type for ${c.name} (${c.columnType})`);
  }
  if (c.primary) b = b.primaryKey();
  else if (c.notNull) b = b.notNull();
  if (c.hasDefault && c.default !== undefined) b = b.default(c.default);
  if (c.isUnique) b = b.unique(c.uniqueName);
  return b;
}

// deno-lint-ignore no-explicit-any
type PgTable = PgTableWithColumns<any>;
const made = new Map<string, PgTable>();

function toPg(table: SQLiteTable): PgTable {
  const config = getTableConfig(table);
  const columns: Record<string, PgColumnBuilderBase> = {};
  const keyOf = new Map<string, string>();
  for (const [key, c] of Object.entries(table) as [string, unknown][]) {
    const col = c as SQLiteColumn;
    if (config.columns.includes(col)) {
      columns[key] = column(col);
      keyOf.set(col.name, key);
    }
  }
  const pg = pgTable(config.name, columns, (t: AnyBuilder) => {
    const cols = (list: { name: string }[]) => list.map((c) => t[keyOf.get(c.name)!]);
    return [
      ...config.primaryKeys.map((pk) =>
        primaryKey({ name: pk.getName(), columns: cols(pk.columns) as never })
      ),
      ...config.indexes.map((ix) => {
        const on = cols(ix.config.columns as { name: string }[]) as [never, ...never[]];
        return (ix.config.unique ? uniqueIndex : index)(ix.config.name).on(...on);
      }),
      ...config.foreignKeys.map((fk) => {
        const ref = fk.reference();
        const target = made.get(getTableConfig(ref.foreignTable).name)!;
        const targetKey = (name: string) =>
          Object.keys(target).find((k) => (target[k] as { name?: string })?.name === name)!;
        let built: AnyBuilder = foreignKey({
          name: fk.getName(),
          columns: cols(ref.columns) as never,
          foreignColumns: ref.foreignColumns.map((c) => target[targetKey(c.name)]) as never,
        });
        if (fk.onDelete) built = built.onDelete(fk.onDelete);
        if (fk.onUpdate) built = built.onUpdate(fk.onUpdate);
        return built;
      }),
    ];
  });
  made.set(config.name, pg);
  return pg;
}

// In an order where a table comes after those its foreign keys point to.
export const projects = toPg(sqlite.projects);
export const vars = toPg(sqlite.vars);
export const connections = toPg(sqlite.connections);
export const triggers = toPg(sqlite.triggers);
export const builds = toPg(sqlite.builds);
export const deployments = toPg(sqlite.deployments);
export const events = toPg(sqlite.events);
export const sessions = toPg(sqlite.sessions);
export const sessionLogs = toPg(sqlite.sessionLogs);
export const sessionSteps = toPg(sqlite.sessionSteps);
export const subscriptions = toPg(sqlite.subscriptions);
export const signals = toPg(sqlite.signals);
export const storeValues = toPg(sqlite.storeValues);
export const seenRequests = toPg(sqlite.seenRequests);
export const sourceStates = toPg(sqlite.sourceStates);
export const sourceLeases = toPg(sqlite.sourceLeases);
