// Python environments: per-requirements venvs built at deploy from pip's configured index,
// shared between projects, used by the runners, pruned when unused; the interpreter check.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { collectFiles } from "../../src/cli/commands/deploy.ts";
import type { VenvJson } from "../../src/pythonrt/environment.ts";
import { daemonFor, writeProject } from "../helpers/daemon.ts";
import { runHook } from "../helpers/webhook-session.ts";

// pip's configured index as it is. Where the default index is out of reach (as on this
// project's machines, which have a local one), pip's retries of it would cost seconds per
// package; no retries keeps it to one failed lookup each.
const PIP_ENV = { PIP_RETRIES: "0" };

const manifest = (name: string) =>
  `version: v1
project:
  name: ${name}
  triggers:
    - name: hook
      webhook: {}
      call: main.py:on_event
`;

const githubHandler = `import sys

import github


def on_event(event):
    print("github", github.Github.__name__)
    return sys.prefix
`;

test("requirements.txt: venv built once at deploy, shared, used; bad requirement, prune", async (t) => {
  const d = await daemonFor(t, PIP_ENV);
  const venvs = join(d.home, "venvs");

  // Project A: the venv is built at deploy, with pip's progress on stderr.
  const a = writeProject(t, {
    "autokitteh.yaml": manifest("venv_a"),
    "main.py": githubHandler,
    "requirements.txt": "PyGithub\n",
  });
  const outA = await d.cli(["deploy", "--manifest", a]);
  assert.equal(outA.code, 0, outA.stderr);
  assert.match(outA.stderr, /\[pip\] Successfully installed .*PyGithub/);
  // What the deploy changes is shown before pip's long work, and not again after it.
  assert.ok(outA.stderr.indexOf("[plan] project") < outA.stderr.indexOf("[pip]"), outA.stderr);
  assert.doesNotMatch(outA.stdout, /\[plan\]/);
  const key = outA.stdout.match(/\[exec\] build_venv: created "([0-9a-f]{16})"/)?.[1];
  assert.ok(key, outA.stdout);
  const sa = await runHook(d, outA.stdout, "venv_a");
  assert.equal(sa.state, "completed", sa.error ?? "");
  assert.equal(sa.return_value, `'${join(venvs, key)}'`);
  assert.deepEqual(await d.prints(sa.session_id), ["github Github"]);

  // Project B, same requirements.txt: the same venv, no pip.
  const b = writeProject(t, {
    "autokitteh.yaml": manifest("venv_b"),
    "main.py": githubHandler,
    "requirements.txt": "PyGithub\n",
  });
  const outB = await d.cli(["deploy", "--manifest", b]);
  assert.equal(outB.code, 0, outB.stderr);
  assert.match(outB.stdout, new RegExp(`\\[exec\\] build_venv: reused "${key}"`));
  assert.doesNotMatch(outB.stderr, /\[pip\]/);
  const sb = await runHook(d, outB.stdout, "venv_b");
  assert.equal(sb.state, "completed", sb.error ?? "");
  assert.equal(sb.return_value, `'${join(venvs, key)}'`);

  // The py-sdk is importable in the venv by hand too, without PYTHONPATH.
  const env = { ...process.env };
  delete env.PYTHONPATH;
  execFileSync(join(venvs, key, "bin", "python"), ["-c", "import autokitteh, github"], { env });

  // A requirement pip cannot install fails the deploy with pip's message; A's previous
  // deployment stays active and keeps working.
  writeFileSync(
    join(a, "..", "requirements.txt"),
    "PyGithub\npounce-no-such-package-xyz==1.0\n",
  );
  const bad = await d.cli(["deploy", "--manifest", a]);
  assert.equal(bad.code, 40, bad.stdout);
  assert.match(bad.stderr, /pip install failed/);
  assert.match(bad.stderr, /No matching distribution found for pounce-no-such-package-xyz/);
  const deps = await d.api<{ deployments: { state: string }[] }>(
    "/api/deployments?project=venv_a",
  );
  assert.deepEqual(deps.deployments.map((x) => x.state), ["active"]);
  const again = await runHook(d, outA.stdout, "venv_a");
  assert.equal(again.state, "completed", again.error ?? "");

  // list and doctor: one venv, in use by both projects, with its size.
  const { venvs: listed } = await d.api<{ venvs: VenvJson[] }>("/api/venvs");
  assert.equal(listed.length, 1);
  assert.equal(listed[0].key, key);
  assert.equal(listed[0].in_use, true);
  assert.deepEqual(listed[0].projects, ["venv_a", "venv_b"]);
  assert.deepEqual(listed[0].requirements, ["PyGithub"]);
  assert.ok(listed[0].bytes > 1_000_000);
  const doctor = await d.cli(["doctor"]);
  assert.equal(doctor.code, 0, doctor.stderr);
  assert.match(doctor.stdout, new RegExp(`data dir: ${d.home}`));
  assert.match(doctor.stdout, /python: +\/\S+ \(Python 3\.\d+\.\d+\)/);
  assert.match(
    doctor.stdout,
    new RegExp(`${key}  [\\d.]+ MiB  Python 3\\.\\d+\\.\\d+  used by venv_a,venv_b`),
  );

  // In use: prune keeps it. Once both projects deploy without requirements, it goes.
  const prune = (q = "") =>
    d.api<{ removed: string[] }>(`/api/venvs/prune${q}`, { method: "POST" });
  assert.deepEqual((await prune()).removed, []);
  for (const m of [a, b]) {
    rmSync(join(m, "..", "requirements.txt"));
    const res = await d.api<{ lines: string[] }>("/api/deploy", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        manifest: readFileSync(m, "utf8"),
        files: collectFiles(join(m, ".."), "autokitteh.yaml"),
      }),
    });
    assert.ok(!res.lines.some((l) => l.includes("build_venv")), res.lines.join("\n"));
  }
  assert.deepEqual((await prune("?dry_run=1")).removed, [key]);
  assert.ok(existsSync(join(venvs, key)));
  const pruned = await d.cli(["venv", "prune"]);
  assert.equal(pruned.stdout.trim(), `removed ${key}`);
  assert.ok(!existsSync(join(venvs, key)));
});
