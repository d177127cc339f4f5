// A transaction of a Db (what `db.transaction` and GroupCommit's writes give), and plain
// SQL on it for the hot paths.
import type { InArgs, ResultSet, Transaction } from "@libsql/client";
import type { Db } from "./client.ts";
import { numberedParams } from "./dialect.ts";
import { type PgResult, resultSet } from "./postgres-result.ts";

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

// Runs plain SQL on a transaction's connection: for the hot paths, where building the
// statement with drizzle costs more than running it. The one place that reaches into
// drizzle's internals (its libSQL session keeps the client's transaction as `tx`, its
// node-postgres session the pool's connection as `client`); test/unit/tx.test.ts fails if a
// drizzle upgrade changes that. SQL is written with `?` placeholders (dialect.ts).
export function execOn(tx: Tx): (sql: string, args: InArgs) => Promise<ResultSet> {
  const session = (tx as unknown as { session?: { tx?: Transaction; client?: PgConnection } })
    .session;
  const raw = session?.tx;
  if (raw) return (sql, args) => raw.execute({ sql, args });
  const pg = session?.client;
  if (pg && typeof pg.query === "function") {
    return async (sql, args) => resultSet(await pg.query(numberedParams(sql), args as unknown[]));
  }
  throw new Error("execOn: not a libSQL transaction, nor a PostgreSQL one");
}

type PgConnection = { query(sql: string, args: unknown[]): Promise<PgResult> };
