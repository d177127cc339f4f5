// Scans a build's Python files at deploy: the exported functions and the modules imported
// from outside the project and the standard library, or the first syntax error with its
// file and line (see py-sdk `pounce.exports`).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuildFiles, writeFiles } from "../core/projects/builds.ts";
import type { Python } from "./python.ts";
import { pythonPath } from "./sdk.ts";

export type Export = { file: string; line: number; name: string; args: string[] };

export class SyntaxCheckError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`syntax error in ${file}, line ${line}: ${message}`);
  }
}

export type Scan = { exports: Export[]; imports: string[] };

export async function scanCode(python: Python, files: BuildFiles): Promise<Scan> {
  const dir = mkdtempSync(join(tmpdir(), "pounce-build-"));
  try {
    writeFiles(dir, files);
    return await scanDir(python, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The same for the files of a directory.
export async function scanDir(python: Python, dir: string): Promise<Scan> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      python.executable,
      ["-P", "-m", "pounce.exports", dir],
      {
        env: {
          ...process.env,
          PYTHONPATH: pythonPath(process.env),
          PYTHONDONTWRITEBYTECODE: "1",
        },
        maxBuffer: 16 << 20,
        timeout: 60_000,
      },
      (err, out, stderr) => {
        if (out.trim().startsWith("{")) resolve(out);
        else reject(new Error(`export scan failed: ${stderr || err?.message}`));
      },
    );
  });
  const result = JSON.parse(stdout) as Partial<Scan> & {
    error?: { file: string; line: number; message: string };
  };
  if (result.error) {
    throw new SyntaxCheckError(result.error.file, result.error.line, result.error.message);
  }
  return { exports: result.exports ?? [], imports: result.imports ?? [] };
}
