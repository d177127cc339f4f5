// One fork server: a Python process that has imported the runtime and a deployment's
// entry modules, and forks a runner per session (py-sdk/pounce/runner/forkserver.py).
// Its children outlive it: when the server dies, running sessions go on and the next
// launch starts a new server.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describeExit, type RunnerExit } from "../core/sessions/runner-port.ts";
import { newId } from "../core/util/ids.ts";
import { logFailure } from "../core/util/log.ts";
import type { ForkServerCommand, ForkServerFrame } from "../protocol/frames.gen.ts";
import type { RunnerHub, RunnerSocket } from "./hub.ts";
import type { PythonRunner } from "./launcher.ts";
import type { RunnerUser } from "./runner-user.ts";
import {
  CONNECT_TIMEOUT_MS,
  connectedOrExited,
  spawnPython,
  STDERR_TAIL_BYTES,
} from "./spawn-python.ts";
// After a child's connection closed with no server to report its exit: how often and
// how long to look for the process to be gone.
const ORPHAN_POLL_MS = 20;
const ORPHAN_WAIT_MS = 2000;
// Spare runners kept forked and waiting (each one a few MB of its own: the rest is shared
// with the server).
export const SPARES = 2;

export type ForkServerSpec = {
  python: string;
  codeDir: string;
  env: Record<string, string>;
  durable: boolean;
  preload: string[];
};

type Child = {
  runnerId: string;
  pid: number;
  stderrPath: string;
  // `reaped`: told by the server, which reaped it.
  exit(exit: RunnerExit, reaped?: boolean): void;
  exited: boolean;
  reaped?: boolean;
  socket?: RunnerSocket;
};

export class ForkServer {
  readonly id = newId("run");
  readonly ready: Promise<void>;
  readonly gone: Promise<RunnerExit>;
  pid = 0;
  alive = true;
  // What the server said at hello: the modules it imported, or why it did not.
  preloaded: string[] = [];
  fallback: string | null = null;
  private socket?: RunnerSocket<ForkServerFrame, ForkServerCommand>;
  // Runners forked ahead, oldest first: with two, back-to-back sessions each find one
  // that has long finished its preparation.
  private spares: Promise<PythonRunner>[] = [];
  private refilling = false;
  private stopped = false;
  private readonly forking = new Map<string, (pid: number | Error) => void>();
  private readonly children = new Map<number, Child>();

  // `user`: who the server and its runners run as (runner-user.ts).
  constructor(readonly spec: ForkServerSpec, private readonly hub: RunnerHub, user?: RunnerUser) {
    const connected = hub.expect<ForkServerFrame, ForkServerCommand>(this.id, CONNECT_TIMEOUT_MS);
    const args = ["pounce.runner.forkserver"];
    args.push("--socket", hub.path, "--server-id", this.id, "--code-dir", spec.codeDir);
    if (spec.durable) args.push("--durable");
    for (const m of spec.preload) args.push("--preload", m);
    const child = spawnPython(spec.python, args, spec, user);
    this.pid = child.pid;
    this.gone = child.exited;
    this.gone.then((exit) => this.died(exit)).catch(logFailure("fork server exit handling failed"));
    this.ready = connectedOrExited(connected, this.gone, "fork server").then((socket) => {
      this.socket = socket;
      const { preloaded, fallback } = socket.hello;
      this.preloaded = Array.isArray(preloaded) ? preloaded.map(String) : [];
      this.fallback = typeof fallback === "string" ? fallback : null;
      socket.onFrame(({ header }) => this.onFrame(header));
      this.refill();
    }).catch((err) => {
      hub.forget(this.id);
      this.stop();
      throw err;
    });
  }

  // A runner for a session: a spare forked ahead (connected, waiting for its start), or
  // a new fork; then spares are forked again, off the session's path.
  async take(): Promise<PythonRunner> {
    while (this.spares.length) {
      const runner = await this.spares.shift()!.catch(() => undefined);
      if (runner && !runner.socket.closed) {
        this.refill();
        return runner;
      }
    }
    const fresh = await this.fork();
    this.refill();
    return fresh;
  }

  // After what the taken runner's session does in this turn of the event loop (its
  // `start` sent): the fork and the new child's set-up do not compete with it.
  private refill(): void {
    if (this.refilling) return;
    this.refilling = true;
    setImmediate(() => {
      this.refilling = false;
      while (this.alive && this.spares.length < SPARES) {
        const spare = this.fork(true);
        spare.catch(() => {});
        this.spares.push(spare);
      }
    });
  }

  private killSpares(): void {
    for (const spare of this.spares) void spare.then((r) => r.kill(), () => {});
    this.spares = [];
  }

  // Forks a runner and resolves once it has connected (a spare waits for its start as
  // long as the daemon is there).
  async fork(spare = false): Promise<PythonRunner> {
    await this.ready;
    if (!this.alive || !this.socket) throw new Error("fork server is not running");
    const runnerId = newId("run");
    const stderrPath = join(this.hub.dir, `${runnerId}.err`);
    const connected = this.hub.expect(runnerId, CONNECT_TIMEOUT_MS);
    // Rejections are handled by the race below; until then they must not go unhandled.
    connected.catch(() => {});
    const pid = await new Promise<number | Error>((resolve) => {
      this.forking.set(runnerId, resolve);
      this.socket!.send({ t: "fork", runner_id: runnerId, stderr: stderrPath, spare });
    });
    if (pid instanceof Error) {
      this.hub.forget(runnerId);
      // The fork may have happened with its reply lost (the server stopped): a child that
      // connected anyway is let go, so it exits instead of waiting for a start.
      connected.then((socket) => socket.close(), () => {});
      throw pid;
    }
    let exit!: (e: RunnerExit) => void;
    const exited = new Promise<RunnerExit>((resolve) => (exit = resolve));
    const child: Child = {
      runnerId,
      pid,
      stderrPath,
      exited: false,
      exit: (e, reaped) => {
        if (child.exited) return;
        child.exited = true;
        child.reaped = reaped;
        this.children.delete(pid);
        // The server that reaped it killed what the session started and read its stderr;
        // else that is done here.
        if (reaped) return exit(e);
        killLeftovers(pid);
        exit({ ...e, stderr: takeTail(stderrPath) || e.stderr });
      },
    };
    this.children.set(pid, child);
    if (!this.alive) this.orphaned(child);
    const kill = () => this.kill(child);
    const socket = await connectedOrExited(connected, exited, "runner").catch((err) => {
      this.hub.forget(runnerId);
      kill();
      throw err;
    });
    child.socket = socket;
    socket.onClose(() => {
      if (!this.alive) this.orphaned(child);
    });
    return { id: runnerId, pid, socket, exited, kill };
  }

  // Children go on; the server takes no more forks.
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.alive = false;
    this.killSpares();
    if (this.socket) this.socket.send({ t: "stop" });
    else if (this.pid) killGroup(this.pid);
    this.socket?.close();
  }

  private kill(child: Child): void {
    // Its group was killed when the server reaped it.
    if (child.exited) return child.reaped ? undefined : killLeftovers(child.pid);
    // The server kills only children it has not reaped yet, so a reused pid is safe.
    if (this.alive && this.socket) this.socket.send({ t: "kill", pid: child.pid });
    else killGroup(child.pid);
  }

  get runningChildren(): number {
    return this.children.size;
  }

  private onFrame(h: ForkServerFrame): void {
    if (h.t === "forked" || h.t === "fork_failed") {
      const runnerId = String(h.runner_id ?? "");
      const resolve = this.forking.get(runnerId);
      this.forking.delete(runnerId);
      resolve?.(
        h.t === "forked" ? Number(h.pid) : new Error(`fork failed: ${String(h.error ?? "")}`),
      );
    } else if (h.t === "exit") {
      const child = this.children.get(Number(h.pid));
      child?.exit({
        code: typeof h.code === "number" ? h.code : null,
        signal: typeof h.signal === "string" ? h.signal : null,
        stderr: typeof h.stderr === "string" ? h.stderr.slice(-STDERR_TAIL_BYTES) : "",
      }, true);
    }
  }

  private died(exit: RunnerExit): void {
    this.alive = false;
    // Spares would wait for a start forever.
    this.killSpares();
    const error = new Error(`fork server exited (${describeExit(exit)})`);
    for (const resolve of this.forking.values()) resolve(error);
    this.forking.clear();
    for (const child of this.children.values()) {
      if (child.socket?.closed) this.orphaned(child);
    }
  }

  // No server reports this child's exit any more: once its connection closed, wait for
  // the process to go away (init reaps it).
  private orphaned(child: Child): void {
    if (child.exited) return;
    const deadline = Date.now() + ORPHAN_WAIT_MS;
    const look = () => {
      if (child.exited) return;
      if (!processExists(child.pid) || Date.now() > deadline) {
        child.exit({ code: null, signal: null, stderr: "" });
      } else setTimeout(look, ORPHAN_POLL_MS);
    };
    look();
  }
}

function takeTail(path: string): string {
  try {
    const text = readFileSync(path, "utf8");
    rmSync(path, { force: true });
    return text.slice(-STDERR_TAIL_BYTES);
  } catch {
    return "";
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch { /* already gone */ }
  }
}

// Kills what is left of an exited runner's process group (the processes its session
// started). While a group has members its id is not given to a new process, so this
// reaches only them; an empty group is nothing to kill.
function killLeftovers(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch { /* no such group */ }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
