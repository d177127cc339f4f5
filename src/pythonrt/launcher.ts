// Starts runners. The session code asks a RunnerLauncher (core's runner port) for a
// connected runner and does not care how it came to be: spawned per session (here) or
// forked from a warm per-deployment server (fork-launcher.ts).
import type { Runner, RunnerLauncher, RunnerSpec } from "../core/sessions/runner-port.ts";
import { newId } from "../core/util/ids.ts";
import type { RunnerHub, RunnerSocket } from "./hub.ts";
import type { RunnerUser } from "./runner-user.ts";
import { CONNECT_TIMEOUT_MS, connectedOrExited, spawnPython } from "./spawn-python.ts";

// A runner as pythonrt hands it out: its process and its hub connection.
export interface PythonRunner extends Runner {
  readonly pid: number;
  readonly socket: RunnerSocket;
}

// Which interpreter runs a build's code: its venv's, or the bare one (see venvs.ts).
export interface Interpreters {
  pythonFor(codeDir: string): Promise<string>;
}

export class SpawnLauncher implements RunnerLauncher {
  constructor(
    private readonly interpreters: Interpreters,
    private readonly hub: RunnerHub,
    private readonly user?: RunnerUser,
  ) {}

  async launch(spec: RunnerSpec): Promise<PythonRunner> {
    const python = await this.interpreters.pythonFor(spec.codeDir);
    const id = newId("run");
    const connected = this.hub.expect(id, CONNECT_TIMEOUT_MS);
    const args = ["pounce.runner", "--socket", this.hub.path, "--runner-id", id];
    args.push("--code-dir", spec.codeDir);
    const { pid, exited } = spawnPython(python, args, spec, this.user);
    const kill = () => {
      if (!pid) return;
      try {
        // The runner leads its own process group, so its children go too.
        process.kill(-pid, "SIGKILL");
      } catch { /* already gone */ }
    };
    const socket = await connectedOrExited(connected, exited, "runner").catch((err) => {
      this.hub.forget(id);
      kill();
      throw err;
    });
    return { id, pid, socket, exited, kill };
  }
}
