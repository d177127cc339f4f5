// Starts a process of the Python runtime (a runner, or a fork server) the way
// docs/protocol.md says: in the code directory, with the session's environment and the SDK
// on PYTHONPATH, its own process group, stdin and stdout closed, and the tail of its
// stderr kept for the exit's description.
import { spawn } from "node:child_process";
import { describeExit, type RunnerExit, type RunnerSpec } from "../core/sessions/runner-port.ts";
import { type RunnerUser, spawnAs } from "./runner-user.ts";
import { pythonPath } from "./sdk.ts";

// How long a started runner or server has to connect back to the hub.
export const CONNECT_TIMEOUT_MS = 30_000;
export const STDERR_TAIL_BYTES = 8192;

export type PythonProcess = { pid: number; exited: Promise<RunnerExit> };

export function spawnPython(
  python: string,
  args: string[],
  spec: RunnerSpec,
  user?: RunnerUser,
): PythonProcess {
  const child = spawn(python, ["-P", "-u", "-m", ...args], {
    cwd: spec.codeDir,
    env: {
      ...spec.env,
      PYTHONPATH: pythonPath(spec.env),
      PYTHONUNBUFFERED: "1",
      POUNCE_DURABLE: spec.durable ? "1" : "",
    },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
    ...spawnAs(user),
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise<RunnerExit>((resolve) => {
    child.on("error", (err) => resolve({ code: null, signal: null, stderr: err.message }));
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
  return { pid: child.pid ?? 0, exited };
}

// The connection, or an error naming how the process ended if that came first.
export function connectedOrExited<T>(
  connected: Promise<T>,
  exited: Promise<RunnerExit>,
  what: string,
): Promise<T> {
  return Promise.race([
    connected,
    exited.then((exit) => {
      throw new Error(`${what} exited before connecting (${describeExit(exit)})`);
    }),
  ]);
}
