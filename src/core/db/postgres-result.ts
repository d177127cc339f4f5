// node-postgres' result as libSQL's ResultSet (what plain SQL on a Db gives: tx.ts).
import type { ResultSet } from "@libsql/client";

export type PgResult = {
  rows: unknown[];
  rowCount: number | null;
  fields?: { name: string }[];
};

export function resultSet(r: PgResult): ResultSet {
  const columns = (r.fields ?? []).map((f) => f.name);
  const rowsAffected = r.rowCount ?? 0;
  return {
    columns,
    columnTypes: columns.map(() => ""),
    rows: r.rows as ResultSet["rows"],
    rowsAffected,
    lastInsertRowid: undefined,
    toJSON: () => ({ columns, rows: r.rows, rowsAffected, lastInsertRowid: null }),
  };
}
