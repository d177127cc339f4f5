// A transaction of a Db (what `db.transaction` and GroupCommit's writes give), and plain
// SQL on it for the hot paths.
import type { InArgs, ResultSet, Transaction } from "@libsql/client";
import type { Db } from "./client.ts";

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

// Runs plain SQL on a transaction's connection: for the hot paths, where building the
// statement with drizzle costs more than running it. The one place that reaches into
// drizzle's internals (its libSQL session keeps the client's transaction as `tx`);
// test/unit/tx.test.ts fails if a drizzle upgrade changes that.
export function execOn(tx: Tx): (sql: string, args: InArgs) => Promise<ResultSet> {
  const raw = (tx as unknown as { session?: { tx?: Transaction } }).session?.tx;
  if (!raw) throw new Error("execOn: not a libSQL transaction");
  return (sql, args) => raw.execute({ sql, args });
}
