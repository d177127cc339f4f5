// For tests of how secrets are kept (connections, OAuth): a CLI whose every output is
// recorded, a project deployed with it, and the check that no secret is in clear in those
// outputs, in the daemon's log or in the database files.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type CliResult, type TestDaemon, writeProject } from "./daemon.ts";
import { storedBytes } from "./stored.ts";

// What handlers print in place of a secret (the same digest in Python: sha256, 16 hex).
export const shortHash = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16);

export type RecordedCli = {
  cli: (...args: string[]) => Promise<CliResult>;
  outputs: CliResult[];
};

export function recordedCli(d: TestDaemon): RecordedCli {
  const outputs: CliResult[] = [];
  const cli = async (...args: string[]) => {
    const out = await d.cli(args);
    outputs.push(out);
    return out;
  };
  return { cli, outputs };
}

// Deploys the project `files` (its manifest named autokitteh.yaml) with a recorded CLI.
export async function deployRecorded(
  t: { after(fn: () => unknown): void },
  d: TestDaemon,
  files: Record<string, string>,
): Promise<RecordedCli & { deployed: CliResult }> {
  const recorded = recordedCli(d);
  const deployed = await recorded.cli("deploy", "--manifest", writeProject(t, files));
  assert.equal(deployed.code, 0, deployed.stderr);
  return { ...recorded, deployed };
}

// Stops the daemon, then checks that none of `secrets` is in its database (files, or PostgreSQL rows), its log
// or the recorded CLI outputs. Failures name the secret by its place in the list.
export async function assertSecretsKept(
  d: TestDaemon,
  outputs: CliResult[],
  secrets: string[],
): Promise<void> {
  await d.stop();
  const stored = await storedBytes(d);
  assert.ok(stored.length > 0 && stored.some((s) => s.bytes.length > 0), "no database found");
  secrets.forEach((secret, i) => {
    const which = `secret #${i + 1}`;
    for (const { where, bytes } of stored) {
      assert.ok(!bytes.includes(secret), `${which} in ${where}`);
    }
    assert.ok(!d.stderr.includes(secret), `${which} in the daemon's log`);
    for (const out of outputs) {
      assert.ok(!out.stdout.includes(secret) && !out.stderr.includes(secret), `${which} in CLI`);
    }
  });
}
