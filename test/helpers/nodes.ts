// Several daemons on one database, as docs/scale.md sets them up: each its own data dir,
// the same secrets key, the database shared (a libSQL file, or with POUNCE_TEST_DB a fresh
// PostgreSQL database). They are stopped before the database goes (hooks run in order).
import { randomBytes } from "node:crypto";
import { tempHome, TestDaemon } from "./daemon.ts";
import { sharedDatabase } from "./stored.ts";

export type Nodes = { daemons: TestDaemon[]; db: string };

export async function startNodes(
  t: { after(fn: () => unknown): void },
  count: number,
  args: string[] = [],
  opts: { nodeIds?: string[] } = {},
): Promise<Nodes> {
  const daemons: TestDaemon[] = [];
  t.after(() => Promise.all(daemons.map((d) => d.kill())));
  const db = await sharedDatabase(t, tempHome(t));
  const env = { POUNCE_SECRET_KEY: randomBytes(32).toString("hex") };
  for (let i = 0; i < count; i++) {
    const d = new TestDaemon(tempHome(t), env);
    daemons.push(d);
    const id = opts.nodeIds?.[i];
    await d.start(["--db", db, ...(id ? ["--node-id", id] : []), ...args]);
  }
  return { daemons, db };
}
