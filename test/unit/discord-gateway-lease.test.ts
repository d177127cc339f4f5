// Discord gateways over one database (src/integrations/discord/gateways.ts): only the
// holder of the connection's source lease opens the link, the others say so; one takes
// over once a dead holder's lease expires; a daemon that stops hands the saved session on,
// and the next holder RESUMEs it instead of identifying. Discord is a fake on 127.0.0.1.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { WebSocketServer } from "ws";
import { openDb } from "../../src/core/db/client.ts";
import { encodeFiles } from "../../src/core/projects/builds.ts";
import { connectionsOf } from "../../src/core/projects/connections.ts";
import { deploy } from "../../src/core/projects/deploy.ts";
import { parseManifest } from "../../src/core/projects/manifest.ts";
import { SecretBox } from "../../src/core/projects/secrets.ts";
import { Gateways } from "../../src/integrations/discord/gateways.ts";
import { SourceLease } from "../../src/integrations/source-lease.ts";
import type { IntegrationContext } from "../../src/integrations/types.ts";
import { waitFor } from "../helpers/fakes.ts";

type Frame = { op: number; d?: Record<string, unknown> };

test("one daemon keeps a connection's gateway; the next one takes over and resumes", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-dlease-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = await openDb({ url: `file:${join(dir, "t.db")}`, durability: "process" });
  t.after(() => db.$client.close());
  const box = SecretBox.load(dir);

  // Discord: GET /gateway/bot and a gateway answering IDENTIFY with READY, RESUME with
  // RESUMED.
  const frames: Frame[] = [];
  const server = createServer((_req, res) => {
    const port = (server.address() as AddressInfo).port;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ url: `ws://127.0.0.1:${port}/gateway` }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws) => {
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 60_000 } }));
    ws.on("message", (raw) => {
      const frame = JSON.parse(String(raw)) as Frame;
      if (frame.op !== 1) frames.push(frame); // heartbeats aside
      const reply = frame.op === 2
        ? { op: 0, t: "READY", s: 1, d: { session_id: "s-1", user: { id: "1" } } }
        : frame.op === 6
        ? { op: 0, t: "RESUMED", s: null, d: null }
        : undefined;
      if (reply) ws.send(JSON.stringify(reply));
    });
  });
  t.after(async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as AddressInfo).port;
  const before = process.env.POUNCE_DISCORD_API_URL;
  process.env.POUNCE_DISCORD_API_URL = `http://127.0.0.1:${port}/api/v10/`;
  t.after(() => {
    if (before === undefined) delete process.env.POUNCE_DISCORD_API_URL;
    else process.env.POUNCE_DISCORD_API_URL = before;
  });

  const manifest = parseManifest(`version: v2
project:
  name: dl
  connections:
    - name: dc
      integration: discord
      vars:
        - name: BotToken
          value: "bot-token-0123"
`);
  await deploy(db, box, { manifest, files: encodeFiles({}), exports: {} });
  const [conn] = await connectionsOf(db, box, "discord");

  const TTL = 400;
  // A daemon that held the lease and died: it renews no more.
  assert.equal(await new SourceLease(db, "dead", TTL).hold(`discord.gateway:${conn.id}`), true);
  const daemon = (nodeId: string) =>
    new Gateways({ db, box, nodeId } as unknown as IntegrationContext, TTL);
  const a = daemon("a");
  const b = daemon("b");
  t.after(() => Promise.all([a.close(), b.close()]));
  await Promise.all([a.reload(), b.reload()]);
  assert.equal(a.status(conn.id), "gateway: kept by another daemon");
  assert.equal(b.status(conn.id), "gateway: kept by another daemon");
  assert.equal(wss.clients.size, 0);

  // The dead holder's lease expires: one of a and b takes over, the other still waits.
  const [holder, other] = await waitFor("a holder connected", () => {
    if (a.status(conn.id) === "gateway: connected") return [a, b];
    if (b.status(conn.id) === "gateway: connected") return [b, a];
  });
  assert.equal(other.status(conn.id), "gateway: kept by another daemon");
  assert.deepEqual(frames.map((f) => f.op), [2], "one IDENTIFY");

  // The holder renews its lease for as long as its link lives.
  await new Promise((resolve) => setTimeout(resolve, TTL * 2.5));
  assert.equal(other.status(conn.id), "gateway: kept by another daemon");
  assert.equal(wss.clients.size, 1, "one link");

  // The holder stops: the other takes over and RESUMEs the saved session.
  await holder.close();
  await waitFor("taken over", () => other.status(conn.id) === "gateway: connected");
  assert.deepEqual(frames.map((f) => f.op), [2, 6], "a RESUME, no second IDENTIFY");
  assert.deepEqual(frames[1].d, { token: "bot-token-0123", session_id: "s-1", seq: 1 });
});
