// Slack: signed HTTP deliveries start sessions on the connections their install ids name;
// unsigned, wrongly signed, stale and replayed ones start none, and a body is verified
// before it is parsed; Socket Mode delivers the same events and reconnects. Slack itself is a fake on 127.0.0.1.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, test } from "node:test";
import { FakeSlack, slackSignature, waitFor } from "../helpers/fakes.ts";
import { fileScope, tempHome, TestDaemon, writeProject } from "../helpers/daemon.ts";
import { holdPost } from "../helpers/raw-post.ts";
import { projectReads } from "../helpers/project-reads.ts";

const SECRET_A = "slack-signing-secret-aaaa";
const SECRET_B = "slack-signing-secret-bbbb";

const scope = fileScope();

let d: TestDaemon;
let slack: FakeSlack;

const handler = `import hashlib
import os


def _hash(value):
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def on_mention(event):
    conn = next(k for k in os.environ if k.endswith("__connection_id"))
    print("mention", event.event_type, event.data.text, event.data.user)
    print("conn", conn, os.environ[conn])
    secrets = [k for k in os.environ if k.endswith("__private_signing_secret")]
    print("secret", _hash(os.environ[secrets[0]]) if secrets else "-")


def on_command(event):
    print("command", event.data.command, event.data.text, event.data.user_id)


def on_message(event):
    print("message", event.data.text)


def on_top_level(event):
    d = event.data
    print("top", repr(d.subtype), repr(d.thread_ts), d.reply_count, d.message, d.reactions)


def on_interaction(event):
    action = event.data.actions[0]
    print("interaction", event.data.type, action["action_id"], repr(action["style"]))
    print("message", event.data.message, repr(event.data.user.team_id), event.data.team.name == "")
`;

function manifest(name: string, conn: string, vars: Record<string, string>, triggers: string) {
  return `version: v2
project:
  name: ${name}
  connections:
    - name: ${conn}
      integration: slack
      vars:
${Object.entries(vars).map(([k, v]) => `        - name: ${k}\n          value: "${v}"`).join("\n")}
  triggers:
${triggers}`;
}

const mentionTrigger = (conn: string) =>
  `    - name: mention
      connection: ${conn}
      event_type: app_mention
      call: main.py:on_mention
`;

before(async () => {
  slack = await new FakeSlack({
    "xoxb-app": { user: "pouncebot", team: "Pounce HQ" },
    "xoxb-sock": { user: "sockbot", team: "Pounce HQ" },
  }).start();
  scope.after(() => slack.close());
  d = new TestDaemon(tempHome(scope), { POUNCE_SLACK_API_URL: slack.apiUrl });
  scope.after(() => d.kill());
  await d.start(["--log-level", "debug"]);
  const deploys: [string, string][] = [
    [
      manifest(
        "slack_app",
        "slk",
        { install_ids: "A1//T1", private_signing_secret: SECRET_A, private_bot_token: "xoxb-app" },
        mentionTrigger("slk") + `    - name: command
      connection: slk
      event_type: slash_command
      call: main.py:on_command
    - name: deploys
      connection: slk
      event_type: message
      filter: data.text.startsWith("deploy")
      call: main.py:on_message
    - name: top_level
      connection: slk
      event_type: message
      filter: data.thread_ts == '' && data.subtype == '' && data.text == 'top'
      call: main.py:on_top_level
    - name: clicks
      connection: slk
      event_type: interaction
      call: main.py:on_interaction
`,
      ),
      "slack_app",
    ],
    [
      manifest(
        "slack_other",
        "slk2",
        { install_ids: "A2//T2", private_signing_secret: SECRET_B },
        mentionTrigger("slk2"),
      ),
      "slack_other",
    ],
  ];
  for (const [m] of deploys) {
    const out = await d.cli([
      "deploy",
      "--manifest",
      writeProject(scope, {
        "autokitteh.yaml": m,
        "main.py": handler,
      }),
    ]);
    assert.equal(out.code, 0, out.stderr);
  }
});

const now = () => String(Math.floor(Date.now() / 1000));

function post(path: string, body: string, opts: {
  secret?: string;
  timestamp?: string;
  contentType?: string;
  signature?: string;
} = {}) {
  const timestamp = opts.timestamp ?? now();
  const headers: Record<string, string> = {
    "content-type": opts.contentType ??
      (path === "/slack/event" ? "application/json" : "application/x-www-form-urlencoded"),
  };
  if (opts.timestamp !== "") headers["x-slack-request-timestamp"] = timestamp;
  const signature = opts.signature ??
    (opts.secret ? slackSignature(opts.secret, timestamp, body) : undefined);
  if (signature) headers["x-slack-signature"] = signature;
  return fetch(d.url + path, { method: "POST", headers, body });
}

function eventBody(team: string, event: Record<string, unknown>, app = team.replace("T", "A")) {
  return JSON.stringify({
    token: "legacy",
    team_id: team,
    api_app_id: app,
    type: "event_callback",
    event_id: `Ev${Math.random().toString(36).slice(2)}`,
    event_time: 1,
    authorizations: [{ team_id: team, user_id: "UBOT", is_bot: true }],
    event,
  });
}

const mention = (text: string, user = "U123") => ({
  type: "app_mention",
  user,
  text,
  channel: "C1",
  ts: "1.1",
  event_ts: "1.1",
});

const { sessions, events, finished } = projectReads(() => d);

test("url_verification is answered with the challenge, only when signed", async () => {
  const body = JSON.stringify({ type: "url_verification", token: "x", challenge: "ch4ll3nge" });
  const ok = await post("/slack/event", body, { secret: SECRET_B });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { challenge: "ch4ll3nge" });
  assert.equal((await post("/slack/event", body)).status, 401);
  assert.equal((await post("/slack/event", body, { secret: "not-it" })).status, 403);
});

test("unsigned, wrongly signed and stale requests are refused and store nothing", async () => {
  const body = eventBody("T1", mention("<@UBOT> nope"));
  const stale = String(Math.floor(Date.now() / 1000) - 6 * 60);
  const future = String(Math.floor(Date.now() / 1000) + 6 * 60);
  const cases: [string, Parameters<typeof post>[2], number][] = [
    ["no signature", {}, 401],
    ["no timestamp", { secret: SECRET_A, timestamp: "" }, 401],
    ["bad timestamp", { secret: SECRET_A, timestamp: "yesterday" }, 403],
    ["wrong secret", { secret: "guess" }, 403],
    ["another workspace's secret", { secret: SECRET_B }, 403],
    ["stale", { secret: SECRET_A, timestamp: stale }, 403],
    ["from the future", { secret: SECRET_A, timestamp: future }, 403],
    ["garbage signature", { signature: "v0=00" }, 403],
    ["wrong content type", { secret: SECRET_A, contentType: "text/plain" }, 400],
  ];
  for (const [what, opts, status] of cases) {
    assert.equal((await post("/slack/event", body, opts)).status, status, what);
  }
  const tampered = slackSignature(SECRET_A, now(), body);
  const res = await post("/slack/event", body.replace("nope", "yes!"), { signature: tampered });
  assert.equal(res.status, 403, "tampered body");
  const form = "command=%2Fpounce&text=x&team_id=T1&api_app_id=A1";
  assert.equal((await post("/slack/command", form, { secret: "guess" })).status, 403);
  assert.equal((await post("/slack/interaction", form)).status, 401);
  assert.deepEqual(await events("slack_app"), []);
  assert.deepEqual(await sessions("slack_app"), []);
});

test("an app mention starts a session with the connection's env; the bot's own is dropped", async () => {
  const res = await post("/slack/event", eventBody("T1", mention("<@UBOT> hello")), {
    secret: SECRET_A,
  });
  assert.equal(res.status, 200);
  const prints = await finished("slack_app", "main.py:on_mention", 1);
  const conns = await d.api<{ connections: { name: string; connection_id: string }[] }>(
    "/api/connections?project=slack_app",
  );
  const id = conns.connections.find((c) => c.name === "slk")!.connection_id;
  const hash = createHash("sha256").update(SECRET_A).digest("hex").slice(0, 16);
  assert.deepEqual(prints, [
    "mention app_mention <@UBOT> hello U123",
    `conn slk__connection_id ${id}`,
    `secret ${hash}`,
  ]);
  const [stored] = await events("slack_app");
  assert.equal(stored.event_type, "app_mention");

  const own = await post("/slack/event", eventBody("T1", mention("I said", "UBOT")), {
    secret: SECRET_A,
  });
  assert.equal(own.status, 200);
  assert.equal((await events("slack_app")).length, 1);
});

test("install ids route events to their own connection only", async () => {
  const res = await post("/slack/event", eventBody("T2", mention("<@UBOT> other")), {
    secret: SECRET_B,
  });
  assert.equal(res.status, 200);
  const prints = await finished("slack_other", "main.py:on_mention", 1);
  assert.equal(prints[0], "mention app_mention <@UBOT> other U123");
  assert.equal((await sessions("slack_app")).length, 1);
  const unknown = await post("/slack/event", eventBody("T9", mention("who?")), {
    secret: SECRET_A,
  });
  assert.equal(unknown.status, 200);
  assert.equal((await events("slack_app")).length, 1);
  assert.equal((await events("slack_other")).length, 1);
});

test("trigger filters apply to Slack events", async () => {
  const message = (text: string) => ({ type: "message", user: "U7", text, channel: "C1", ts: "2" });
  for (const text of ["hello there", "deploy the thing"]) {
    const res = await post("/slack/event", eventBody("T1", message(text)), { secret: SECRET_A });
    assert.equal(res.status, 200);
  }
  assert.deepEqual(await finished("slack_app", "main.py:on_message", 1), [
    "message deploy the thing",
  ]);
  const types = (await events("slack_app")).map((e) => e.event_type);
  assert.deepEqual(types.filter((t) => t === "message").length, 2);

  // AutoKitteh's shape: every field of its message struct, empty when Slack left it out,
  // so a filter on `thread_ts == ''` matches a top-level message and not a reply.
  const reply = { ...message("top"), thread_ts: "1.5", ts: "3" };
  for (const event of [reply, message("top")]) {
    const res = await post("/slack/event", eventBody("T1", event), { secret: SECRET_A });
    assert.equal(res.status, 200);
  }
  assert.deepEqual(await finished("slack_app", "main.py:on_top_level", 1), [
    "top '' '' 0 None []",
  ]);
});

test("slash commands and interactions are acknowledged at once and start sessions", async () => {
  const form = new URLSearchParams({
    token: "legacy",
    team_id: "T1",
    team_domain: "pounce",
    api_app_id: "A1",
    channel_id: "C1",
    channel_name: "general",
    user_id: "U9",
    command: "/pounce",
    text: "deploy prod",
    response_url: "https://hooks.slack.invalid/x",
    trigger_id: "t1",
  }).toString();
  const res = await post("/slack/command", form, { secret: SECRET_A });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    response_type: "ephemeral",
    text: "Your command: `/pounce deploy prod`",
  });
  assert.deepEqual(await finished("slack_app", "main.py:on_command", 1), [
    "command /pounce deploy prod U9",
  ]);

  const payload = JSON.stringify({
    type: "block_actions",
    api_app_id: "A1",
    team: { id: "T1", domain: "pounce" },
    user: { id: "U9" },
    actions: [{ action_id: "approve", type: "button", value: "yes" }],
  });
  const clicked = await post("/slack/interaction", new URLSearchParams({ payload }).toString(), {
    secret: SECRET_A,
  });
  assert.equal(clicked.status, 200);
  assert.deepEqual(await finished("slack_app", "main.py:on_interaction", 1), [
    "interaction block_actions approve ''",
    "message None '' True",
  ]);
});

test("Socket Mode delivers events over an outbound WebSocket and reconnects", async () => {
  slack.failOpens = 1;
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(scope, {
      "autokitteh.yaml": manifest(
        "slack_socket",
        "sock",
        { private_app_token: "xapp-1-sock", private_bot_token: "xoxb-sock" },
        mentionTrigger("sock"),
      ),
      "main.py": handler,
    }),
  ]);
  assert.equal(out.code, 0, out.stderr);
  await waitFor("a Socket Mode connection", () => slack.open.length === 1);
  assert.equal(slack.opens, 1);
  assert.equal(slack.failOpens, 0, "the failed attempt was retried");

  const envelope = (id: string, text: string) => ({
    envelope_id: id,
    type: "events_api",
    accepts_response_payload: false,
    payload: JSON.parse(eventBody("T3", mention(text))),
  });
  slack.send(envelope("env-1", "<@UBOT> over the socket"));
  await waitFor("the ack of env-1", () => slack.acks.some((a) => a.envelope_id === "env-1"));
  assert.equal(
    (await finished("slack_socket", "main.py:on_mention", 1))[0],
    "mention app_mention <@UBOT> over the socket U123",
  );

  slack.dropAll();
  await waitFor("a reconnection", () => slack.opens === 2 && slack.open.length === 1);
  slack.send(envelope("env-2", "<@UBOT> again"));
  await waitFor("the ack of env-2", () => slack.acks.some((a) => a.envelope_id === "env-2"));
  await finished("slack_socket", "main.py:on_mention", 2);

  slack.send({ type: "disconnect", reason: "refresh_requested" });
  await waitFor("a refreshed link", () => slack.opens === 3 && slack.open.length === 1);
  slack.send({
    envelope_id: "env-3",
    type: "slash_commands",
    payload: { command: "/pounce", text: "hi", team_id: "T3", api_app_id: "A3", user_id: "U1" },
  });
  const ack = await waitFor(
    "the ack of env-3",
    () => slack.acks.find((a) => a.envelope_id === "env-3"),
  );
  assert.deepEqual(ack.payload, { response_type: "ephemeral", text: "Your command: `/pounce hi`" });

  const tested = await d.cli(["connection", "test", "slack_socket/sock"]);
  assert.equal(tested.code, 0, tested.stderr);
  assert.match(tested.stdout, /status: ok/);
  assert.match(tested.stdout, /authenticated as sockbot in Pounce HQ; socket mode: connected/);
});

test("connection test checks the bot token against Slack", async () => {
  const ok = await d.cli(["connection", "test", "slk", "--project", "slack_app"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /status: ok\nmessage: authenticated as pouncebot in Pounce HQ/);
  const tokenless = await d.cli(["connection", "test", "slack_other/slk2"]);
  assert.equal(tokenless.code, 0, tokenless.stderr);
  assert.match(tokenless.stdout, /status: warning\nmessage: no private_bot_token/);
});

test("a signed request is taken once, even when copies arrive together", async () => {
  const before = (await events("slack_other")).length;
  const timestamp = now();
  const body = eventBody("T2", mention("<@UBOT> once"));
  const copy = () =>
    post("/slack/event", body, { secret: SECRET_B, timestamp }).then((r) => r.status);
  const statuses = await Promise.all(Array.from({ length: 6 }, copy));
  assert.deepEqual(statuses.sort(), [200, 409, 409, 409, 409, 409]);
  assert.equal(await copy(), 409, "resent later");
  assert.equal((await events("slack_other")).length, before + 1);
});

test("a wrongly signed body is refused before it is parsed", async () => {
  assert.equal((await post("/slack/event", "{not json", { secret: "guess" })).status, 403);
  const form = "payload=%7Bnot+json";
  assert.equal((await post("/slack/interaction", form, { secret: "guess" })).status, 403);
});

test("a body over 1 MB is refused from its Content-Length, before it is sent", async () => {
  const timestamp = now();
  const held = holdPost(d.url + "/slack/event", {
    "content-type": "application/json",
    "content-length": String((1 << 20) + 1),
    "x-slack-request-timestamp": timestamp,
    "x-slack-signature": slackSignature(SECRET_A, timestamp, "x"),
  });
  try {
    assert.equal(await held.status, 413);
  } finally {
    held.destroy();
  }
});

test("signing secrets never reach the daemon's log", () => {
  for (const secret of [SECRET_A, SECRET_B, "xapp-1-sock", "xoxb-app"]) {
    assert.ok(!d.stderr.includes(secret), `${secret} in the daemon's log`);
  }
});
