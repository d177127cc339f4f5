// Who session code runs as. A daemon running as root runs its runners (and fork servers)
// as an unprivileged user, `nobody` unless `--runner-user` names another (`root`: no
// change). Then session code cannot read the data dir's secrets (the token, secret.key,
// the database: files 0600 of the daemon's user) nor the daemon's memory or environment
// (/proc/<pid>/environ of another user). The runner user's group may only pass through
// the data dir and read what runners need: builds, venvs, the py-sdk, the runner socket.
// A daemon not running as root cannot change user: its runners share its files.
import { execFile } from "node:child_process";
import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { join, relative } from "node:path";
import { log } from "../core/util/log.ts";
import { keepPrivate } from "../core/util/paths.ts";

export type RunnerUser = { name: string; uid: number; gid: number };

const DEFAULT_USER = "nobody";
// nobody/nogroup's usual ids, for systems without the entry.
const NOBODY_ID = 65534;

// The user runners run as, undefined when they run as the daemon's user: `setting` (from
// --runner-user), else `nobody` when the daemon is root and nobody can run `python` with
// the py-sdk (else runners stay root, with a warning saying why). `sdkDir`: the py-sdk when
// it is outside the data dir (inside, shareDataDir opens it to the user).
export async function runnerUser(
  setting: string | undefined,
  python: string,
  sdkDir: string | undefined,
): Promise<RunnerUser | undefined> {
  const user = wantedUser(setting);
  if (!user) return undefined;
  const problem = await cannotRun(user, python, sdkDir);
  if (!problem) return user;
  if (setting) throw new Error(`--runner-user ${setting}: ${problem}`);
  log.warn("runners run as root: sessions can read the daemon's secrets", {
    reason: problem,
    fix: `install Python and the py-sdk where ${user.name} can read them, or pick a user ` +
      "with --runner-user (root: keep root runners, without this warning)",
  });
  return undefined;
}

// Why the user cannot start a runner, undefined when it can: the interpreter starts as
// that user (no site, so it is quick) and can read the py-sdk.
function cannotRun(
  user: RunnerUser,
  python: string,
  sdkDir: string | undefined,
): Promise<string | undefined> {
  const sdkFile = sdkDir ? join(sdkDir, "pounce", "__init__.py") : "/";
  const check = "import os, sys; sys.exit(0 if os.access(sys.argv[1], os.R_OK) else 3)";
  const cannot = (err: Error) =>
    `${user.name} cannot run ${python} (${err.message.split("\n")[0]})`;
  return new Promise((resolve) => {
    try {
      execFile(python, ["-I", "-S", "-c", check, sdkFile], {
        ...spawnAs(user),
        cwd: "/",
        env: {},
        timeout: 30_000,
      }, (err) => {
        if (!err) resolve(undefined);
        else if (err.code === 3) resolve(`${user.name} cannot read the py-sdk (${sdkFile})`);
        else resolve(cannot(err));
      });
    } catch (err) {
      // Deno refuses a spawn as another user at once (EPERM) instead of calling back.
      resolve(cannot(err as Error));
    }
  });
}

function wantedUser(setting: string | undefined): RunnerUser | undefined {
  if (process.getuid?.() !== 0) {
    if (setting && setting !== currentUserName()) {
      throw new Error(
        `--runner-user ${setting}: the daemon must run as root to run sessions as another user`,
      );
    }
    return undefined;
  }
  const name = setting || DEFAULT_USER;
  if (name === "root") return undefined;
  const entry = passwdEntry(name);
  if (entry) return entry;
  if (/^\d+$/.test(name)) return { name, uid: Number(name), gid: Number(name) };
  if (!setting) return { name, uid: NOBODY_ID, gid: NOBODY_ID };
  throw new Error(`--runner-user ${name}: no such user in /etc/passwd`);
}

function passwdEntry(name: string): RunnerUser | undefined {
  let text = "";
  try {
    text = readFileSync("/etc/passwd", "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && /^\d+$/.test(uid ?? "") && /^\d+$/.test(gid ?? "")) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

function currentUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "";
  }
}

// Spawn options that run a child as the runner user.
export function spawnAs(user: RunnerUser | undefined): { uid?: number; gid?: number } {
  return user ? { uid: user.uid, gid: user.gid } : {};
}

// Directory modes for the runner user's group (the daemon's user keeps full access).
export const PASS = 0o710; // pass through, not list
export const READ = 0o750; // list and read
export const DROP_BOX = 0o1770; // create files (runners' stderr), not remove others'
export const SOCKET = 0o660;

// Gives the runner user's group `mode` on `path` (a no-op without a runner user).
export function share(user: RunnerUser | undefined, path: string, mode: number): void {
  if (!user) return;
  chownSync(path, statSync(path).uid, user.gid);
  chmodSync(path, mode);
}

// What runners reach in the data dir: the dir itself to pass through, and `shared` (paths
// inside it, each with its mode; the directories on the way are passed through). Everything
// else there is made private again: files 0600 (the token, secret.key, the database and
// its WAL), directories 0700.
export function shareDataDir(
  user: RunnerUser | undefined,
  dataDir: string,
  shared: Map<string, number>,
): void {
  if (!user) return;
  share(user, dataDir, PASS);
  const tops = new Set<string>();
  for (const [path, mode] of shared) {
    const rel = relative(dataDir, path);
    if (!rel || rel.startsWith("..") || !existsSync(path)) continue;
    const parts = rel.split("/");
    tops.add(parts[0]);
    for (let i = 1; i < parts.length; i++) {
      const between = join(dataDir, ...parts.slice(0, i));
      if (!shared.has(between)) share(user, between, PASS);
    }
    share(user, path, mode);
  }
  for (const e of readdirSync(dataDir, { withFileTypes: true })) {
    if (tops.has(e.name)) continue;
    const path = join(dataDir, e.name);
    if (e.isDirectory()) keepPrivate(path, 0o700);
    else if (e.isFile()) keepPrivate(path, 0o600);
  }
}
