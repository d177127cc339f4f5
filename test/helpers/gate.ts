// A loopback HTTP server whose requests wait until the test opens the gate: a handler that
// calls it stays running, so a test can look at a session while it is still live.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

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
