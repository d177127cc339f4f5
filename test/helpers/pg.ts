// PostgreSQL for tests. With POUNCE_TEST_DB set to a PostgreSQL URL whose user may create
// databases (e.g. postgres://pounce:pounce@127.0.0.1:5432/postgres), every test daemon runs
// on a fresh database of its own (TestDaemon), so the e2e suite runs on PostgreSQL:
//   POUNCE_TEST_DB=postgres://… node --import tsx --test test/e2e/webhooks.test.ts
//   POUNCE_TEST_DB=postgres://… deno test -A --no-check test/e2e/webhooks.test.ts
// Databases are named pounce_pg_test_<pid>_…: dropped when their test ends, or, if that
// never came (a killed run), by the next run once their process is gone.
import { randomBytes } from "node:crypto";
import type pg from "pg";

export const TEST_DB = process.env.POUNCE_TEST_DB || undefined;

// The server PostgreSQL-specific tests use (they run whenever it answers): POUNCE_TEST_PG,
// else POUNCE_TEST_DB's, else the one scripts/provision.sh sets up.
export const PG_SERVER = process.env.POUNCE_TEST_PG || TEST_DB ||
  "postgres://pounce_test:pounce_test@127.0.0.1:5432/postgres";

export async function reachable(server: string): Promise<boolean> {
  try {
    await (await admin(server)).end();
    return true;
  } catch {
    return false;
  }
}

const PREFIX = "pounce_pg_test_";
let made = 0;

async function admin(url: string): Promise<InstanceType<typeof pg.Client>> {
  const { default: { Client } } = await import("pg");
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  return client;
}

// A new, empty database on the server of `server` (a PostgreSQL URL); its URL. C collation
// (as docs/scale.md sets one up), or with `icuLocale` that ICU locale's (e.g. "en-US").
export async function freshDatabase(
  server: string = TEST_DB!,
  opts: { icuLocale?: string } = {},
): Promise<string> {
  const client = await admin(server);
  // The random part: under `deno test --parallel` test files share one process (one pid),
  // each with its own count.
  const name = `${PREFIX}${process.pid}_${Date.now().toString(36)}_${made++}_${
    randomBytes(4).toString("hex")
  }`;
  const locale = opts.icuLocale
    ? `LOCALE 'C.UTF-8' LOCALE_PROVIDER icu ICU_LOCALE '${opts.icuLocale}'`
    : "LC_COLLATE 'C' LC_CTYPE 'C'";
  try {
    await dropOrphans(client);
    await client.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' ${locale}`);
  } finally {
    await client.end();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!name.startsWith(PREFIX)) throw new Error(`not a test database: ${name}`);
  const server = new URL(url);
  server.pathname = "/postgres";
  const client = await admin(server.toString());
  try {
    for (let attempt = 0;; attempt++) {
      try {
        // FORCE ends the test's own leftover connections; it may not end a process of
        // another role (an autovacuum worker on the database: 42501), which a plain DROP
        // cancels itself; a DROP that finds a connection still there (55006) tries again.
        const force = attempt % 2 === 0 ? " WITH (FORCE)" : "";
        await client.query(`DROP DATABASE IF EXISTS ${name}${force}`);
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= 20 || (code !== "42501" && code !== "55006")) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await client.end();
  }
}

// Test databases whose process is gone.
async function dropOrphans(client: InstanceType<typeof pg.Client>): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE $1",
    [`${PREFIX}%`],
  );
  for (const { datname } of rows) {
    const pid = Number(datname.slice(PREFIX.length).split("_")[0]);
    if (pid === process.pid || alive(pid)) continue;
    await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
