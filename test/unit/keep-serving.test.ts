// A rejection nobody handles is logged and the process goes on (src/server/keep-serving.ts),
// on the runtime running the tests.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, sourceCommand } from "../helpers/daemon.ts";

test("an unhandled rejection is logged and the process keeps running", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-keep-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, "reject.ts");
  writeFileSync(
    script,
    `import { keepServingOnUnhandledRejection } from ${
      JSON.stringify(join(ROOT, "src/server/keep-serving.ts"))
    };
keepServingOnUnhandledRejection();
Promise.reject(new Error("background write failed"));
setTimeout(() => console.log("still serving"), 200);
`,
  );
  // sourceCommand() minus its main module: the runtime with TypeScript support.
  const [cmd, ...pre] = sourceCommand().slice(0, -1);
  const { code, stdout, stderr } = await new Promise<
    { code: number; stdout: string; stderr: string }
  >((resolve) =>
    execFile(
      cmd,
      [...pre, script],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    )
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), "still serving");
  assert.match(stderr, /ERROR unhandled rejection .*background write failed/);
});
