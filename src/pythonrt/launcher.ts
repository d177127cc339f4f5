// Starts runners. The session code asks a RunnerLauncher for a connected runner and
// does not care how it came to be: spawned per session (here) or forked from a warm
// per-deployment server.
import { spawn } from "node:child_process";
import { newId } from "../core/util/ids.ts";
import type { RunnerHub, RunnerSocket } from "./hub.ts";
import { type RunnerUser, spawnAs } from "./runner-user.ts";
import { pythonPath } from "./sdk.ts";

export type RunnerSpec = {
  codeDir: string;
  env: Record<string, string>;
  durable: boolean;
};

export type RunnerExit = { code: number | null; signal: string | null; stderr: string };

export interface Runner {
  readonly id: string;
  readonly pid: number;
  readonly socket: RunnerSocket;
  readonly exited: Promise<RunnerExit>;
  kill(): void;
}

export interface RunnerLauncher {
  launch(spec: RunnerSpec): Promise<Runner>;
}

// Which interpreter runs a build's code: its venv's, or the bare one (see venvs.ts).
export interface Interpreters {
  pythonFor(codeDir: string): Promise<string>;
}

const CONNECT_TIMEOUT_MS = 30_000;
const STDERR_TAIL_BYTES = 8192;

export class SpawnLauncher implements RunnerLauncher {
  constructor(
    private readonly interpreters: Interpreters,
    private readonly hub: RunnerHub,
    private readonly user?: RunnerUser,
  ) {}

  async launch(spec: RunnerSpec): Promise<Runner> {
    const python = await this.interpreters.pythonFor(spec.codeDir);
    const id = newId("run");
    const connected = this.hub.expect(id, CONNECT_TIMEOUT_MS);
    const env: Record<string, string> = {
      ...spec.env,
      PYTHONPATH: pythonPath(spec.env),
      PYTHONUNBUFFERED: "1",
      POUNCE_DURABLE: spec.durable ? "1" : "",
    };
    const child = spawn(
      python,
      [
        "-P",
        "-u",
        "-m",
        "pounce.runner",
        "--socket",
        this.hub.path,
        "--runner-id",
        id,
        "--code-dir",
        spec.codeDir,
      ],
      {
        cwd: spec.codeDir,
        env,
        stdio: ["ignore", "ignore", "pipe"],
        detached: true,
        ...spawnAs(this.user),
      },
    );
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    const exited = new Promise<RunnerExit>((resolve) => {
      child.on("error", (err) => resolve({ code: null, signal: null, stderr: err.message }));
      child.on("close", (code, signal) => resolve({ code, signal, stderr }));
    });
    const kill = () => {
      try {
        // The runner leads its own process group, so its children go too.
        process.kill(-child.pid!, "SIGKILL");
      } catch { /* already gone */ }
    };
    const socket = await Promise.race([
      connected,
      exited.then((exit) => {
        throw new Error(`runner exited before connecting (${describeExit(exit)})`);
      }),
    ]).catch((err) => {
      this.hub.forget(id);
      kill();
      throw err;
    });
    return { id, pid: child.pid!, socket, exited, kill };
  }
}

export function describeExit(exit: RunnerExit): string {
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  const tail = exit.stderr.trim().split("\n").slice(-5).join("\n");
  return tail ? `${how}: ${tail}` : how;
}
