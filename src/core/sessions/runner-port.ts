// What a session needs of a runner (the port pythonrt's launchers implement): a
// connection that carries the protocol's frames (docs/protocol.md), a way to end the
// process, and how it ended. SessionRun and the manager know nothing else of runners.
import type { DaemonFrame, RunnerFrame } from "../../protocol/frames.gen.ts";

export type RunnerExit = { code: number | null; signal: string | null; stderr: string };

export interface RunnerConnection {
  send(frame: DaemonFrame, blob?: Uint8Array | Uint8Array[]): void;
  // Frames as they come (those that came before a handler was set are handed to it).
  onFrame(handler: (frame: { header: RunnerFrame; blob?: Uint8Array }) => void): void;
  onClose(handler: () => void): void;
}

export interface Runner {
  readonly id: string;
  readonly socket: RunnerConnection;
  readonly exited: Promise<RunnerExit>;
  // Ends the runner and what it started (its process group).
  kill(): void;
}

// What a runner is started for: one session's code, environment and durability.
export type RunnerSpec = {
  codeDir: string;
  env: Record<string, string>;
  durable: boolean;
};

export interface RunnerLauncher {
  launch(spec: RunnerSpec): Promise<Runner>;
}

export function describeExit(exit: RunnerExit): string {
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  const tail = exit.stderr.trim().split("\n").slice(-5).join("\n");
  return tail ? `${how}: ${tail}` : how;
}
