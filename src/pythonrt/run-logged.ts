// Runs a command (python -m venv, pip) and hands each line it prints to a callback as
// it comes, keeping the output for an error message.
import { spawn } from "node:child_process";

export type Logged = { code: number | null; lines: string[] };

const KEEP_LINES = 200;

export function runLogged(
  command: string,
  args: string[],
  opts: {
    cwd: string;
    env: Record<string, string | undefined>;
    timeoutMs: number;
    onLine: (line: string) => void;
  },
): Promise<Logged> {
  return new Promise((resolve) => {
    const lines: string[] = [];
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => {
      lines.push(`timed out after ${Math.round(opts.timeoutMs / 1000)} s`);
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    const emit = (line: string) => {
      if (!line.trim()) return;
      lines.push(line);
      if (lines.length > KEEP_LINES) lines.shift();
      opts.onLine(line);
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        const parts = (rest + chunk).split(/\r?\n|\r/);
        rest = parts.pop()!;
        for (const part of parts) emit(part);
      });
      stream.on("end", () => emit(rest));
    }
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ code: null, lines: [...lines, err.message] });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, lines });
    });
  });
}
