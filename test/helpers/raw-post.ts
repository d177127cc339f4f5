// Posts whose body is sent (or not) at the test's pace, over node:http, and the memory a
// process holds: what tests of bounded request bodies need.
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";

export type HeldPost = {
  // The response's status, whenever the server answers (possibly before the body is sent).
  status: Promise<number>;
  write(chunk: Uint8Array): Promise<void>;
  end(): void;
  destroy(): void;
};

// Starts a POST with these headers (Content-Length included, if any) and sends no body yet.
export function holdPost(url: string, headers: Record<string, string>): HeldPost {
  const req = request(url, { method: "POST", headers });
  const status = new Promise<number>((resolve, reject) => {
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
  });
  req.flushHeaders();
  return {
    status,
    write: (chunk) =>
      new Promise((resolve, reject) => req.write(chunk, (err) => err ? reject(err) : resolve())),
    end: () => req.end(),
    destroy: () => req.destroy(),
  };
}

// Bytes of a /proc/<pid>/status field (VmRSS: resident now, VmHWM: the peak).
export function memoryOf(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(
    new RegExp(`^${field}:\\s+(\\d+) kB`, "m"),
  );
  if (!m) throw new Error(`no ${field} for process ${pid}`);
  return Number(m[1]) * 1024;
}

// Resets the process's peak resident size to what it holds now (Linux: clear_refs 5).
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}
