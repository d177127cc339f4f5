// Discord: a bot's gateway link identifies, delivers dispatches as AutoKitteh-shaped
// events, resumes after a drop (a redelivered event starts no second session), survives
// a daemon crash, and stops on a bad token. Discord itself is a fake on 127.0.0.1: its
// REST API and a gateway speaking the protocol.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { before, test } from "node:test";
import { type WebSocket, WebSocketServer } from "ws";
import { FakeWithSockets, waitFor } from "../helpers/fakes.ts";
import { projectReads } from "../helpers/project-reads.ts";
import { fileScope, sleep, tempHome, TestDaemon, writeProject } from "../helpers/daemon.ts";
import { dbQuery } from "../helpers/stored.ts";

const GOOD = "good-bot-token-0123456789";
const BAD = "bad-bot-token-9876543210";
const BOT_ID = "100000000000000001";

type Frame = { op: number; d?: unknown; s?: number | null; t?: string | null };
type Sent = { t: string; s: number; d: unknown };
type Session = { id: string; token: string; seq: number; sent: Sent[]; ws?: WebSocket };

// Discord's GET /gateway/bot and /users/@me, and a gateway that speaks the protocol:
// HELLO, IDENTIFY → READY, RESUME → redelivery and RESUMED, heartbeats and their ACKs.
class FakeDiscord extends FakeWithSockets {
  readonly frames: { token?: string; frame: Frame }[] = [];
  readonly sessions = new Map<string, Session>();
  heartbeatMs = 1000;
  ackHeartbeats = true;
  // Sent on RESUME before anything newer: as Discord does when it is not sure an event
  // arrived.
  redeliverLast = true;
  private sessionCount = 0;

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/v10/`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const token = (req.headers.authorization ?? "").replace(/^Bot /, "");
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.url === "/api/v10/gateway/bot") {
        // A bad token gets as far as the gateway, which closes with 4004.
        return reply(200, {
          url: `ws://127.0.0.1:${this.port}/gateway`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
        });
      }
      if (req.url === "/api/v10/users/@me") {
        if (token !== GOOD) return reply(401, { message: "401: Unauthorized", code: 0 });
        return reply(200, { id: BOT_ID, username: "pouncebot", bot: true });
      }
      reply(404, { message: "404: Not Found", code: 0 });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on("connection", (ws, req) => {
      assert.match(req.url ?? "", /v=10&encoding=json/);
      this.sockets.push(ws);
      const send = (f: Frame) => ws.send(JSON.stringify(f));
      send({ op: 10, d: { heartbeat_interval: this.heartbeatMs } });
      ws.on("message", (raw) => {
        const frame = JSON.parse(String(raw)) as Frame;
        const d = (frame.d ?? {}) as Record<string, unknown>;
        this.frames.push({ token: typeof d.token === "string" ? d.token : undefined, frame });
        if (frame.op === 1 && this.ackHeartbeats) send({ op: 11 });
        if (frame.op === 2) {
          if (d.token !== GOOD) return ws.close(4004, "Authentication failed.");
          const session: Session = {
            id: `session-${++this.sessionCount}`,
            token: GOOD,
            seq: 1,
            sent: [],
            ws,
          };
          this.sessions.set(session.id, session);
          send({
            op: 0,
            t: "READY",
            s: 1,
            d: {
              v: 10,
              session_id: session.id,
              resume_gateway_url: `ws://127.0.0.1:${this.port}/resume`,
              user: { id: BOT_ID, username: "pouncebot", bot: true },
              guilds: [],
            },
          });
        }
        if (frame.op === 6) {
          const session = this.sessions.get(String(d.session_id));
          if (!session || d.token !== session.token) return send({ op: 9, d: false });
          session.ws = ws;
          const after = session.sent.filter((e) => e.s > Number(d.seq));
          const last = session.sent.filter((e) => e.s === Number(d.seq));
          for (const e of [...(this.redeliverLast ? last : []), ...after]) {
            send({ op: 0, t: e.t, s: e.s, d: e.d });
          }
          send({ op: 0, t: "RESUMED", s: null, d: null });
        }
      });
    });
    return this;
  }

  get latest(): Session {
    const all = [...this.sessions.values()];
    if (!all.length) throw new Error("no gateway session");
    return all[all.length - 1];
  }

  // A dispatch on the newest session (kept for redelivery on RESUME).
  dispatch(t: string, d: unknown): number {
    const session = this.latest;
    const s = ++session.seq;
    session.sent.push({ t, s, d });
    session.ws?.send(JSON.stringify({ op: 0, t, s, d }));
    return s;
  }

  ops(op: number, token = GOOD): Frame[] {
    return this.frames.filter((f) => f.frame.op === op && f.token === token).map((f) => f.frame);
  }

  get heartbeats(): number {
    return this.frames.filter((f) => f.frame.op === 1).length;
  }
}

const scope = fileScope();
let d: TestDaemon;
let discord: FakeDiscord;

const handler = `def on_ping(event):
    data = event.data
    print("ping", event.event_type, data.id, data.content, data.channel_id, data.guild_id)
    print("author", data.author.id, data.author.username, data.author.bot)
    print("zero", data.mention_everyone, data.tts, data.webhook_id == "", data.referenced_message)


def on_reaction(event):
    print("reaction", event.data.user_id, event.data.message_id, event.data.emoji["name"])
`;

function manifest(name: string, token: string, extra = "") {
  return `version: v2
project:
  name: ${name}
  connections:
    - name: dc
      integration: discord
      vars:
        - name: BotToken
          value: "${token}"
  triggers:
    - name: ping
      connection: dc
      event_type: message_create
      filter: data.content == "ping"
      call: main.py:on_ping
    - name: reaction
      connection: dc
      event_type: message_reaction_add
      call: main.py:on_reaction
${extra}`;
}

async function deploy(name: string, token: string): Promise<void> {
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(scope, { "autokitteh.yaml": manifest(name, token), "main.py": handler }),
  ]);
  assert.equal(out.code, 0, out.stderr);
}

const { events, finished, status } = projectReads(() => d);

const message = (id: string, content: string, author = { id: "200", username: "alice" }) => ({
  id,
  channel_id: "300",
  guild_id: "400",
  content,
  timestamp: "2026-12-07T08:00:00.000000+00:00",
  author,
  embeds: [],
  type: 0,
});

before(async () => {
  discord = await new FakeDiscord().start();
  scope.after(() => discord.close());
  d = new TestDaemon(tempHome(scope), { POUNCE_DISCORD_API_URL: discord.apiUrl });
  scope.after(() => d.kill());
  await d.start(["--log-level", "debug"]);
});

test("the gateway identifies and message_create starts a session with AutoKitteh's shape", async () => {
  await deploy("discord_app", GOOD);
  const [identify] = await waitFor(
    "an IDENTIFY",
    () => discord.ops(2).length > 0 && discord.ops(2),
  );
  assert.equal((identify.d as { intents: number }).intents, 3276799);
  await waitFor("connected", async () => (await status("discord_app/dc")) === "gateway: connected");

  discord.dispatch("MESSAGE_CREATE", message("1001", "hello"));
  discord.dispatch(
    "MESSAGE_CREATE",
    message("1002", "ping", { id: BOT_ID, username: "pouncebot" }),
  );
  discord.dispatch("MESSAGE_CREATE", message("1003", "ping"));
  assert.deepEqual(await finished("discord_app", "main.py:on_ping", 1), [
    "ping message_create 1003 ping 300 400",
    "author 200 alice False",
    "zero False False True None",
  ]);
  // The bot's own message is dropped, as AutoKitteh drops it; the other is stored.
  const stored = (await events("discord_app")).map((e) => (e.data as { id: string }).id);
  assert.deepEqual(stored.sort(), ["1001", "1003"]);

  discord.dispatch("MESSAGE_REACTION_ADD", {
    user_id: "200",
    message_id: "1003",
    channel_id: "300",
    guild_id: "400",
    emoji: { id: null, name: "👍" },
  });
  assert.deepEqual(await finished("discord_app", "main.py:on_reaction", 1), [
    "reaction 200 1003 👍",
  ]);

  const tested = await d.cli(["connection", "test", "discord_app/dc"]);
  assert.equal(tested.code, 0, tested.stderr);
  assert.match(
    tested.stdout,
    /authenticated as pouncebot \(100000000000000001\); gateway: connected/,
  );
});

test("after a drop the link resumes: a redelivered event starts nothing, a new one does", async () => {
  const lastSeq = discord.dispatch("MESSAGE_CREATE", message("1004", "ping"));
  await finished("discord_app", "main.py:on_ping", 2);
  const session = discord.latest;
  discord.dropAll();
  const [resume] = await waitFor("a RESUME", () => discord.ops(6).length > 0 && discord.ops(6));
  assert.deepEqual(resume.d, { token: GOOD, session_id: session.id, seq: lastSeq });
  assert.equal(discord.ops(2).length, 1, "no new IDENTIFY");
  await waitFor("connected", async () => (await status("discord_app/dc")) === "gateway: connected");
  // The fake sent 1004 again on RESUME: only 1005 starts a session.
  discord.dispatch("MESSAGE_CREATE", message("1005", "ping"));
  await finished("discord_app", "main.py:on_ping", 3);
  const ids = (await events("discord_app")).map((e) => (e.data as { id?: string }).id ?? "-");
  assert.deepEqual(ids.sort(), ["-", "1001", "1003", "1004", "1005"]);
});

test("Discord's RECONNECT and a heartbeat without ACK make the link resume", async () => {
  const resumes = discord.ops(6).length;
  discord.latest.ws!.send(JSON.stringify({ op: 7, d: null }));
  await waitFor("a RESUME after RECONNECT", () => discord.ops(6).length === resumes + 1);
  await waitFor("connected", async () => (await status("discord_app/dc")) === "gateway: connected");

  discord.ackHeartbeats = false;
  const before = discord.ops(6).length;
  const beats = discord.heartbeats;
  discord.dropAll();
  await waitFor("a RESUME", () => discord.ops(6).length === before + 1);
  await waitFor("a heartbeat left without ACK", () => discord.heartbeats > beats);
  await waitFor("the zombie link dropped and resumed", () => discord.ops(6).length === before + 2);
  discord.ackHeartbeats = true;
  await waitFor("connected", async () => (await status("discord_app/dc")) === "gateway: connected");
  assert.equal(discord.ops(2).length, 1, "never identified anew");
  discord.dispatch("MESSAGE_CREATE", message("1006", "ping"));
  await finished("discord_app", "main.py:on_ping", 4);
});

test("INVALID_SESSION makes the link identify anew", async () => {
  discord.latest.ws!.send(JSON.stringify({ op: 9, d: false }));
  await waitFor("a new IDENTIFY", () => discord.ops(2).length === 2);
  await waitFor("connected", async () => (await status("discord_app/dc")) === "gateway: connected");
  discord.dispatch("MESSAGE_CREATE", message("1007", "ping"));
  await finished("discord_app", "main.py:on_ping", 5);
});

test("a bad token: the gateway's 4004 shows as auth failed, without reconnecting", async () => {
  await deploy("discord_bad", BAD);
  await waitFor("an IDENTIFY with the bad token", () => discord.ops(2, BAD).length === 1);
  await waitFor(
    "auth failed",
    async () => (await status("discord_bad/dc")) === "gateway: auth failed (close code 4004)",
  );
  // Several backoff periods later, still one attempt.
  await sleep(4000);
  assert.equal(discord.ops(2, BAD).length, 1);
  const tested = await d.cli(["connection", "test", "discord_bad/dc"]);
  assert.notEqual(tested.code, 0);
  assert.match(
    tested.stdout,
    /status: error\nmessage: Discord users\/@me: HTTP 401; gateway: auth failed/,
  );
});

test("after a kill -9 the restarted daemon RESUMEs with the saved sequence; a missed event starts one session", async () => {
  const session = discord.latest;
  const identifies = discord.ops(2).length;
  const resumes = discord.ops(6).length;
  const lastSeq = session.seq;
  // The daemon saved the session with the sequence of the last stored event.
  await waitFor("the session saved at the last sequence", async () => {
    const rows = await dbQuery(d, "SELECT state FROM source_states WHERE kind = 'discord.gateway'");
    return rows.length === 1 && JSON.parse(String(rows[0].state)).seq === lastSeq;
  });
  await d.kill();
  await waitFor("the link gone", () => discord.open.length === 0);
  // Sent while no daemon listens: Discord keeps it for the RESUME.
  const missedSeq = discord.dispatch("MESSAGE_CREATE", message("1008", "ping"));
  await d.start();
  const [resume] = await waitFor(
    "a RESUME",
    () => discord.ops(6).length > resumes && discord.ops(6).slice(resumes),
  );
  assert.deepEqual(resume.d, { token: GOOD, session_id: session.id, seq: lastSeq });
  assert.equal(discord.ops(2).length, identifies, "no new IDENTIFY");
  await waitFor("connected", async () => (await status("discord_app/dc")) === "gateway: connected");
  await finished("discord_app", "main.py:on_ping", 6);
  // The fake redelivered 1007 (the last one stored) and 1008: only 1008 started a session.
  const ids = (await events("discord_app")).map((e) => (e.data as { id?: string }).id ?? "-");
  assert.equal(ids.filter((id) => id === "1008").length, 1);
  assert.equal(ids.filter((id) => id === "1007").length, 1);
  await waitFor("the new sequence saved", async () => {
    const rows = await dbQuery(d, "SELECT state FROM source_states WHERE kind = 'discord.gateway'");
    return rows.length === 1 && JSON.parse(String(rows[0].state)).seq === missedSeq;
  });
  discord.dispatch("MESSAGE_CREATE", message("1009", "ping"));
  await finished("discord_app", "main.py:on_ping", 7);
});

test("bot tokens never reach the daemon's log", () => {
  for (const token of [GOOD, BAD]) assert.ok(!d.stderr.includes(token), `${token} in the log`);
});
