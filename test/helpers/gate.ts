// A loopback HTTP server whose requests wait until the test opens the gate: a handler that
// calls it stays running, so a test can look at a session while it is still live.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import assert from "node:assert/strict";
import { type TestDaemon, webhookPath, writeProject } from "./daemon.ts";

export type Gate = { url: string; open(): void; hits: number };

export async function gateFor(t: { after(fn: () => unknown): void }): Promise<Gate> {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const gate: Gate = { url: "", open, hits: 0 };
  const server = createServer((_req, res) => {
    gate.hits++;
    void opened.then(() => res.end("open"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  gate.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  t.after(() => {
    open();
    server.closeAllConnections();
    server.close();
  });
  return gate;
}

// Deploys `project`, whose webhook trigger "hook" calls main.py:handle (`handler`) with
// the gate's URL in GATE_URL; returns the hook's path.
export async function deployGated(
  t: { after(fn: () => unknown): void },
  d: TestDaemon,
  gate: Gate,
  project: string,
  handler: string,
): Promise<string> {
  const manifest = writeProject(t, {
    "autokitteh.yaml": `version: v2
project:
  name: ${project}
  vars:
    - name: GATE_URL
      value: "${gate.url}"
  triggers:
    - name: hook
      webhook: {}
      call: main.py:handle
`,
    "main.py": handler,
  });
  const out = await d.cli(["deploy", "--manifest", manifest]);
  assert.equal(out.code, 0, out.stderr);
  return webhookPath(out.stdout, "hook");
}
