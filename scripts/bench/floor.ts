// The floor, measured in the same run as the figures: what the machine itself costs for
// the pieces every session is made of. A Node↔Python Unix-socket round trip (our framing,
// our Python wire code), one libSQL commit per durability setting, an os.fork() of a
// Python process that imported the runtime, and a Python start.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { createClient } from "@libsql/client";
import type { Durability } from "../../src/core/db/client.ts";
import { encodeFrame, FrameDecoder } from "../../src/pythonrt/wire.ts";
import { ROOT } from "./daemon.ts";

export const PYTHON = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], {
  encoding: "utf8",
}).trim();
const PY_ENV = { ...process.env, PYTHONPATH: join(ROOT, "py-sdk") };

function python(code: string, args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ["-P", "-c", code, ...args], { env: PY_ENV });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
  });
}

// Round trips of a small frame, timed by Python (as a runner sees an answered request),
// then a journal of `frames` steps one way, as a resume sends it (one frame) and the runner
// decodes it, timed from the request to the decoded steps.
const SOCKET_CLIENT = `
import json, sys, time
from pounce.runner.gate import Step
from pounce.runner.wire import Conn
conn = Conn.connect(sys.argv[1])
n, frames = int(sys.argv[2]), int(sys.argv[3])
times = []
for i in range(n):
    t = time.perf_counter()
    conn.send({"t": "result", "id": i, "seq": i, "name": "noop", "error": False, "display": "1"}, b"\\x80\\x04K\\x01.")
    conn.recv()
    times.append((time.perf_counter() - t) * 1000)
conn.send({"t": "stream"})
t = time.perf_counter()
header, blob = conn.recv()
assert len(Step.from_frame(header, blob)) == frames
stream = (time.perf_counter() - t) * 1000
print(json.dumps({"rtt": times, "stream": stream}))
`;

export async function socketFloor(n: number, frames: number) {
  const dir = mkdtempSync(join(tmpdir(), "pounce-floor-"));
  const path = join(dir, "s.sock");
  const server = createServer((socket) => {
    const decoder = new FrameDecoder();
    socket.on("data", (chunk) => {
      for (const { header } of decoder.push(chunk)) {
        if (header.t === "stream") {
          const steps = Array.from({ length: frames }, (_, i) => ({
            seq: i + 1,
            kind: "activity",
            name: "noop",
            size: 16,
          }));
          socket.write(encodeFrame({ t: "journal", steps }, Buffer.alloc(16 * frames, 1)));
        } else socket.write(encodeFrame({ t: "ok", id: (header as { id?: number }).id }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  try {
    const out = JSON.parse(await python(SOCKET_CLIENT, [path, String(n), String(frames)]));
    return { rtt: (out.rtt as number[]).slice(n / 10), stream: out.stream as number };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// One autocommit INSERT per sample, on a plain libSQL connection set up as the daemon's.
export async function commitFloor(durability: Durability, n: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "pounce-floor-"));
  const db = createClient({ url: `file:${join(dir, "floor.db")}` });
  try {
    await db.execute("PRAGMA journal_mode = WAL");
    await db.execute(`PRAGMA synchronous = ${durability === "process" ? "NORMAL" : "FULL"}`);
    await db.execute("CREATE TABLE floor (id INTEGER PRIMARY KEY, v BLOB)");
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await db.execute({ sql: "INSERT INTO floor (v) VALUES (?)", args: [`v${i}`] });
      times.push(performance.now() - t);
    }
    return times.slice(n / 10);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// os.fork() of a Python that imported the runtime, until the child runs (writes a byte).
const FORK = `
import json, os, sys, time
import autokitteh, pounce.runner.session
times = []
for i in range(int(sys.argv[1])):
    r, w = os.pipe()
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.write(w, b"x")
        os._exit(0)
    os.read(r, 1)
    times.append((time.perf_counter() - t) * 1000)
    os.waitpid(pid, 0)
    os.close(r)
    os.close(w)
print(json.dumps(times))
`;

export async function forkFloor(n: number): Promise<number[]> {
  return JSON.parse(await python(FORK, [String(n)]));
}

// A bare interpreter start (-I -S), and one that imports the runtime (what a spawned
// runner pays before it can connect).
export function startFloor(n: number): { bare: number[]; runtime: number[] } {
  const time = (args: string[]) => {
    const t = performance.now();
    execFileSync(PYTHON, args, { env: PY_ENV, stdio: "ignore" });
    return performance.now() - t;
  };
  const bare: number[] = [];
  const runtime: number[] = [];
  for (let i = 0; i < n; i++) {
    bare.push(time(["-I", "-S", "-c", "pass"]));
    runtime.push(time(["-P", "-c", "import autokitteh, pounce.runner.session"]));
  }
  return { bare, runtime };
}

// Sparse traffic's floor: after an idle gap of `gapMs`, one fsync'd libSQL commit and then
// one os.fork() of a Python that imported the runtime (the pieces a webhook's session start
// is made of), timed back to back; each sample is their sum.
const FORK_ON_LINE = `
import os, sys, time
import autokitteh, pounce.runner.session
while sys.stdin.readline():
    r, w = os.pipe()
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.write(w, b"x")
        os._exit(0)
    os.read(r, 1)
    print((time.perf_counter() - t) * 1000, flush=True)
    os.waitpid(pid, 0)
    os.close(r)
    os.close(w)
`;

export async function sparseFloor(n: number, gapMs: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "pounce-floor-"));
  const db = createClient({ url: `file:${join(dir, "floor.db")}` });
  const child = spawn(PYTHON, ["-P", "-c", FORK_ON_LINE], { env: PY_ENV });
  const lines: string[] = [];
  let waiting: (() => void) | undefined;
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    let nl: number;
    while ((nl = out.indexOf("\n")) >= 0) {
      lines.push(out.slice(0, nl));
      out = out.slice(nl + 1);
    }
    waiting?.();
  });
  const fork = async () => {
    child.stdin.write("\n");
    while (!lines.length) {
      if (child.exitCode !== null) throw new Error("the fork helper exited");
      await new Promise<void>((r) => (waiting = r));
    }
    return Number(lines.shift());
  };
  try {
    await db.execute("PRAGMA journal_mode = WAL");
    await db.execute("PRAGMA synchronous = FULL");
    await db.execute("CREATE TABLE floor (id INTEGER PRIMARY KEY, v BLOB)");
    await fork(); // the helper has imported the runtime
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, gapMs));
      const t = performance.now();
      await db.execute({ sql: "INSERT INTO floor (v) VALUES (?)", args: [`v${i}`] });
      const commit = performance.now() - t;
      times.push(commit + (await fork()));
    }
    return times;
  } finally {
    child.kill();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
