// Fork-server runners: sessions run in children forked from a warm per-deployment
// server that imported the user's modules; what forking breaks is handled (a killed
// server, changed vars, a replaced deployment, threads or failures at import).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { daemonFor, sleep, type TestDaemon, webhookPath, writeProject } from "../helpers/daemon.ts";
import { SPARES } from "../../src/pythonrt/fork-server.ts";

type Server = { pid: number; codeDir: string; durable: boolean; preload: string[] };

// The fork servers of this daemon: its children running pounce.runner.forkserver (their
// forked runners have the same command line, and the server as parent).
function servers(d: TestDaemon): Server[] {
  const out: Server[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!argv.includes("pounce.runner.forkserver")) continue;
    let ppid: number;
    try {
      ppid = Number(readFileSync(`/proc/${name}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1]);
    } catch {
      continue;
    }
    if (ppid !== d.proc?.pid) continue;
    const codeDir = argv[argv.indexOf("--code-dir") + 1] ?? "";
    if (!codeDir.startsWith(d.home)) continue;
    const preload = argv.flatMap((a, i) => (argv[i - 1] === "--preload" ? [a] : []));
    out.push({ pid: Number(name), codeDir, durable: argv.includes("--durable"), preload });
  }
  return out;
}

// The processes working in this daemon's data dir: fork servers and their runners (both
// run in a build's code directory).
function runnerProcesses(d: TestDaemon): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`).startsWith(d.home)) out.push(Number(name));
    } catch { /* gone, or not ours to read */ }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await check();
    if (value) return value;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function post(d: TestDaemon, deployOut: string, trigger: string, body = "") {
  const res = await fetch(d.url + webhookPath(deployOut, trigger), { method: "POST", body });
  assert.equal(res.status, 202);
  return res.headers.get("AutoKitteh-Event-ID")!;
}

async function sessionOf(d: TestDaemon, project: string, eventId: string): Promise<string> {
  return await until(`the session of ${eventId}`, async () => {
    const { sessions } = await d.api<{ sessions: { session_id: string; event_id: string }[] }>(
      `/api/sessions?project=${project}&event=${eventId}`,
    );
    return sessions.find((s) => s.event_id === eventId)?.session_id;
  });
}

async function runHook(d: TestDaemon, deployOut: string, project: string, trigger: string) {
  const id = await sessionOf(d, project, await post(d, deployOut, trigger));
  const s = await d.waitSession(id, 30_000);
  assert.equal(s.state, "completed", s.error ?? "");
  return await d.prints(id);
}

const manifest = (name: string, durable: boolean) =>
  `version: v1
project:
  name: ${name}
  vars:
    - name: COLOR
      value: red
  triggers:
    - name: hello
      webhook: {}
      call: main.py:hello
      is_durable: ${durable}
    - name: wait
      webhook: {}
      call: main.py:wait
      is_durable: ${durable}
    - name: feed
      webhook: {}
`;

const main = `import os
import autokitteh
import helper

COLOR_AT_IMPORT = os.environ.get("COLOR")
print("module main loaded")

@autokitteh.activity
def double(x):
    return 2 * x

def hello(event):
    print("color", COLOR_AT_IMPORT, os.environ.get("COLOR"), helper.VERSION)
    print("parent", os.getppid())
    print("double", double(21))

def wait(event):
    sub = autokitteh.subscribe("feed")
    print("waiting in", os.getppid())
    got = autokitteh.next_event(sub)
    print("got", got.body.text)
`;

const helper = (version: string) =>
  `print("module helper loaded")
VERSION = "${version}"
`;

// A daemon started with `args` and this file's project deployed as `name`.
async function deployTestProject(
  t: { after(fn: () => unknown): void },
  name: string,
  durable: boolean,
  args: string[],
) {
  const d = await daemonFor(t, {}, args);
  const path = writeProject(t, {
    "autokitteh.yaml": manifest(name, durable),
    "main.py": main,
    "helper.py": helper("v1"),
  });
  const deployed = await d.cli(["deploy", "--manifest", path]);
  assert.equal(deployed.code, 0, deployed.stderr);
  return { d, path, deployed };
}

test("sessions fork from a warm server that imported the user's modules", async (t) => {
  const { d, path, deployed } = await deployTestProject(t, "forky", true, [
    "--runner",
    "fork",
    "--hibernate-after",
    "off",
  ]);
  const [server] = await until("a fork server", () => servers(d).length === 1 && servers(d));
  assert.equal(server.durable, true);
  assert.deepEqual(server.preload, ["main"]);

  for (let i = 0; i < 2; i++) {
    const prints = await runHook(d, deployed.stdout, "forky", "hello");
    // Module-level prints are each session's, in import order, though imported once.
    assert.deepEqual(prints, [
      "module helper loaded",
      "module main loaded",
      "color red red v1",
      `parent ${server.pid}`,
      "double 42",
    ]);
  }

  await t.test("a killed server is restarted and running sessions go on", async () => {
    const waiting = await sessionOf(d, "forky", await post(d, deployed.stdout, "wait"));
    await until("the session to wait", async () => (await d.prints(waiting)).length === 3);
    process.kill(server.pid, "SIGKILL");
    await until("the server to die", () => !alive(server.pid));
    await post(d, deployed.stdout, "feed", "food");
    const s = await d.waitSession(waiting, 30_000);
    assert.equal(s.state, "completed", s.error ?? "");
    assert.deepEqual((await d.prints(waiting)).slice(3), ["got food"]);
    const prints = await runHook(d, deployed.stdout, "forky", "hello");
    const [again] = servers(d);
    assert.ok(again && again.pid !== server.pid, "a new server");
    assert.equal(prints[3], `parent ${again.pid}`);
    // Nothing of the dead server is left behind (its spare runners included): the new
    // server and its spares are all that work in the data dir.
    await until("the dead server's runners to go", () => runnerProcesses(d).length === 1 + SPARES);
  });

  await t.test("changed vars start a new server", async () => {
    const before = servers(d)[0].pid;
    const set = await d.cli(["var", "set", "COLOR", "blue", "--project", "forky"]);
    assert.equal(set.code, 0, set.stderr);
    const prints = await runHook(d, deployed.stdout, "forky", "hello");
    assert.equal(prints[2], "color blue blue v1");
    const now = await until("one server", () => servers(d).length === 1 && servers(d));
    assert.notEqual(now[0].pid, before);
    await until("the old server to stop", () => !alive(before));
  });

  await t.test("a redeploy stops the old deployment's server", async () => {
    const [old] = servers(d);
    writeFileSync(join(dirname(path), "helper.py"), helper("v2"));
    const redeployed = await d.cli(["deploy", "--manifest", path]);
    assert.equal(redeployed.code, 0, redeployed.stderr);
    await until("the old server to stop", () => !alive(old.pid));
    const [fresh] = await until("the new server", () => servers(d).length === 1 && servers(d));
    assert.notEqual(fresh.codeDir, old.codeDir);
    const prints = await runHook(d, redeployed.stdout, "forky", "hello");
    assert.equal(prints[2], "color red red v2"); // the manifest sets the var again
  });
});

test("user code that starts threads or fails at import is imported per session", async (t) => {
  const d = await daemonFor(t, {}, ["--runner", "fork"]);
  const threads = writeProject(t, {
    "autokitteh.yaml": `version: v2
project:
  name: threads
  triggers:
    - name: hello
      webhook: {}
      call: main.py:hello
`,
    "main.py": `import threading, time
print("starting a thread")
threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()

def hello(event):
    print("hello")
`,
  });
  const broken = writeProject(t, {
    "autokitteh.yaml": `version: v2
project:
  name: broken
  triggers:
    - name: hello
      webhook: {}
      call: broken.py:hello
`,
    "broken.py": `raise RuntimeError("no import for you")
`,
  });
  const deployed = await d.cli(["deploy", "--manifest", threads]);
  assert.equal(deployed.code, 0, deployed.stderr);
  await until("the fallback warning", () => /started threads at import/.test(d.stderr));
  assert.deepEqual(await runHook(d, deployed.stdout, "threads", "hello"), [
    "starting a thread",
    "hello",
  ]);

  const deployedBroken = await d.cli(["deploy", "--manifest", broken]);
  assert.equal(deployedBroken.code, 0, deployedBroken.stderr);
  await until("the fallback warning", () => /importing broken failed/.test(d.stderr));
  const id = await sessionOf(d, "broken", await post(d, deployedBroken.stdout, "hello"));
  const s = await d.waitSession(id, 30_000);
  assert.equal(s.state, "error");
  assert.match(s.error ?? "", /no import for you/);
  assert.equal(servers(d).length, 2);
});

test("--runner spawn starts an interpreter per session", async (t) => {
  const { d, deployed } = await deployTestProject(t, "spawny", false, ["--runner", "spawn"]);
  const prints = await runHook(d, deployed.stdout, "spawny", "hello");
  assert.deepEqual(prints.slice(0, 3), [
    "module helper loaded",
    "module main loaded",
    "color red red v1",
  ]);
  assert.equal(servers(d).length, 0);
});

test("servers replaced while they fork leave no runner behind, and the daemon stops", async (t) => {
  const { d, deployed } = await deployTestProject(t, "stormy", false, [
    "--runner",
    "fork",
    "--hibernate-after",
    "off",
  ]);
  await until("a fork server", () => servers(d).length === 1);
  // Each change replaces the server, often while it is forking its spare runner.
  for (let i = 0; i < 20; i++) {
    await d.api("/api/vars?project=stormy", {
      method: "PUT",
      body: JSON.stringify({ name: "COLOR", value: `c${i}` }),
    });
    await sleep(60 + (i % 5) * 30);
  }
  const prints = await runHook(d, deployed.stdout, "stormy", "hello");
  assert.equal(prints[2], "color c19 c19 v1");
  // What stays: one server and its spares.
  await until("one server and its spares", () => runnerProcesses(d).length === 1 + SPARES);
  await d.stop();
  await until("no runner left", () => runnerProcesses(d).length === 0);
});

// The inode of the daemon's listening runner socket (`…/runners.sock`), from /proc/net/unix.
function runnerListener(d: TestDaemon): string {
  for (const line of readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000: listening.
    const [, , , flags, , , inode, path] = line.trim().split(/\s+/);
    if (flags === "00010000" && path?.startsWith(d.home) && path.endsWith("runners.sock")) {
      return inode;
    }
  }
  throw new Error("no listening runner socket");
}

// What a process's descriptors point at (those that close meanwhile are left out).
function descriptors(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch { /* closed meanwhile */ }
  }
  return out;
}

test("runners inherit no descriptor of the daemon's (on Deno too)", async (t) => {
  const { d } = await deployTestProject(t, "plain", false, ["--runner", "fork"]);
  await until("one server and its spares", () => runnerProcesses(d).length === 1 + SPARES);
  const listener = `socket:[${runnerListener(d)}]`;
  assert.ok(descriptors(d.proc!.pid!).includes(listener), "the daemon holds its listening socket");
  for (const pid of runnerProcesses(d)) {
    // Held by a runner, the socket would outlive the daemon, and so would the runner.
    assert.ok(
      !descriptors(pid).includes(listener),
      `runner ${pid} holds the daemon's listening socket`,
    );
  }
});

test("a forked runner that dies leaves its stderr's last lines in the session's error", async (t) => {
  const d = await daemonFor(t);
  const project = writeProject(t, {
    "autokitteh.yaml": `version: v1
project:
  name: dying
  triggers:
    - name: go
      webhook: {}
      call: main.py:main
      is_durable: false
`,
    "main.py": `import os

def main(event):
    os.write(2, b"first words\\nlast words\\n")  # below Python's sys.stderr
    os._exit(3)
`,
  });
  const deployed = await d.cli(["deploy", "--manifest", project]);
  assert.equal(deployed.code, 0, deployed.stderr);
  const res = await fetch(d.url + webhookPath(deployed.stdout, "go"), { method: "POST" });
  assert.equal(res.status, 202);
  const { sessions } = await d.api<{ sessions: { session_id: string }[] }>(
    "/api/sessions?project=dying",
  );
  const s = await d.waitSession(sessions[0].session_id);
  assert.equal(s.state, "error");
  assert.match(String(s.error), /exit code 3[\s\S]*first words\s+last words/, d.stderr);
  const left = (readdirSync(d.home, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".err"));
  assert.ok(left.length <= SPARES, `only the waiting spares' stderr files are left: ${left}`);
});
