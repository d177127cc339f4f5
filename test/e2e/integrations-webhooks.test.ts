// Webhook-style integrations (Telegram, Twilio, Linear, Zoom, Jira, Confluence), table-driven against one real
// daemon: a signed delivery to AutoKitteh's path starts a session through a trigger whose
// filter reads the data, and the handler sees AutoKitteh's data shape; a delivery with a
// bad signature starts nothing (401/403); the same delivery again starts nothing (409);
// Zoom's URL validation challenge is answered; `pounce event dispatch --integration
// --file` runs a recorded payload through the integration without the provider.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { before, test } from "node:test";
import { waitFor } from "../helpers/fakes.ts";
import {
  fileScope,
  type SessionJson,
  tempHome,
  TestDaemon,
  writeProject,
} from "../helpers/daemon.ts";

const scope = fileScope();
let d: TestDaemon;
let dir = "";

const hex = (alg: string, key: string, text: string) =>
  createHmac(alg, key).update(text).digest("hex");

type Signed = { path: string; headers: Record<string, string>; body: string };

type Case = {
  integration: string;
  vars: Record<string, string>;
  eventType: string;
  filter: string;
  print: string;
  // A delivery of `payload` as the provider sends it, signed with `secret`.
  signed(payload: Record<string, unknown>, secret: string): Signed;
  secret: string;
  payload(n: number): Record<string, unknown>;
  expect(n: number): string;
  // The recorded payload file's text, for `event dispatch --file`.
  file?(payload: Record<string, unknown>): string;
};

const TWILIO_TOKEN = "twilio-auth-token";

function twilioSignature(token: string, url: string, fields: Record<string, string>): string {
  const mac = createHmac("sha1", token).update(url);
  for (const k of Object.keys(fields).sort()) mac.update(k + fields[k]);
  return mac.digest("base64");
}

const cases: Case[] = [
  {
    integration: "telegram",
    vars: { BotToken: "123:abc", SecretToken: "tg-secret", BotID: "123" },
    eventType: "message",
    filter: `data.message.text.startsWith("/go")`,
    print: `event.event_type, event.data.message.text, event.data.message.chat.id`,
    secret: "tg-secret",
    signed: (payload, secret) => ({
      path: "/telegram/webhook/123",
      headers: { "x-telegram-bot-api-secret-token": secret },
      body: JSON.stringify(payload),
    }),
    payload: (n) => ({
      update_id: 1000 + n,
      message: { message_id: n, date: 1, chat: { id: 77, type: "private" }, text: `/go ${n}` },
    }),
    expect: (n) => `telegram message /go ${n} 77`,
  },
  {
    integration: "twilio",
    vars: { account_sid: "AC123", auth_token: TWILIO_TOKEN },
    eventType: "message",
    filter: `data.body.contains("hello")`,
    print: `event.event_type, event.data.body, event.data.account_sid, event.data.num_media`,
    secret: TWILIO_TOKEN,
    signed: (payload, secret) => {
      const fields = payload as Record<string, string>;
      return {
        path: "/twilio/message",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-twilio-signature": twilioSignature(secret, d.url + "/twilio/message", fields),
        },
        body: new URLSearchParams(fields).toString(),
      };
    },
    payload: (n) => ({
      AccountSid: "AC123",
      MessageSid: `SM${n}`,
      From: "+15550001",
      To: "+15550002",
      Body: `hello ${n}`,
      NumMedia: "0",
    }),
    expect: (n) => `twilio message hello ${n} AC123 0`,
    file: (payload) => new URLSearchParams(payload as Record<string, string>).toString(),
  },
  {
    integration: "linear",
    vars: { private_webhook_secret: "lin-secret", org_id: "org-1" },
    eventType: "issue",
    filter: `data.action == "create"`,
    print: `event.event_type, event.data.action, event.data.data.title, event.data.organizationId`,
    secret: "lin-secret",
    signed: (payload, secret) => {
      const body = JSON.stringify(payload);
      return {
        path: "/linear/event",
        headers: { "linear-event": "Issue", "linear-signature": hex("sha256", secret, body) },
        body,
      };
    },
    payload: (n) => ({
      action: "create",
      type: "Issue",
      data: { id: `i${n}`, title: `Bug ${n}` },
      organizationId: "org-1",
      webhookTimestamp: Date.now(),
      webhookId: "wh-1",
    }),
    expect: (n) => `linear issue create Bug ${n} org-1`,
  },
  {
    integration: "zoom",
    vars: { secret_token: "zoom-secret", account_id: "acc-1" },
    eventType: "meeting.started",
    filter: `data.payload.object.topic.startsWith("Standup")`,
    print: `event.event_type, event.data.payload.object.topic, event.data.payload.account_id`,
    secret: "zoom-secret",
    signed: (payload, secret) => {
      const body = JSON.stringify(payload);
      const ts = String(Math.floor(Date.now() / 1000));
      return {
        path: "/zoom/event",
        headers: {
          "x-zm-request-timestamp": ts,
          "x-zm-signature": "v0=" + hex("sha256", secret, `v0:${ts}:${body}`),
        },
        body,
      };
    },
    payload: (n) => ({
      event: "meeting.started",
      event_ts: Date.now(),
      payload: { account_id: "acc-1", object: { id: n, topic: `Standup ${n}` } },
    }),
    expect: (n) => `zoom meeting.started Standup ${n} acc-1`,
  },
  ...["jira", "confluence"].map((integration): Case => ({
    integration,
    vars: { base_url: "https://example.atlassian.net", webhook_secret: `${integration}-secret` },
    eventType: integration === "jira" ? "issue_created" : "page_created",
    filter: integration === "jira"
      ? `data.issue.key.startsWith("PRJ")`
      : `data.page.title.startsWith("Notes")`,
    print: integration === "jira"
      ? `event.event_type, event.data.issue.key, event.data.issue.fields.summary`
      : `event.event_type, event.data.page.title`,
    secret: `${integration}-secret`,
    signed: (payload, secret) => {
      const body = JSON.stringify(payload);
      return {
        path: integration === "jira" ? "/jira/webhook" : "/confluence/webhook/created",
        headers: { "x-hub-signature": "sha256=" + hex("sha256", secret, body) },
        body,
      };
    },
    payload: (n) =>
      integration === "jira"
        ? {
          timestamp: Date.now(),
          webhookEvent: "jira:issue_created",
          issue: {
            self: "https://example.atlassian.net/rest/api/2/issue/1000" + n,
            key: `PRJ-${n}`,
            fields: { summary: `Broken ${n}` },
          },
        }
        : {
          timestamp: Date.now(),
          userAccountId: "u1",
          page: { self: "https://example.atlassian.net/wiki/pages/" + n, title: `Notes ${n}` },
        },
    expect: (n) =>
      integration === "jira"
        ? `jira issue_created PRJ-${n} Broken ${n}`
        : `confluence page_created Notes ${n}`,
    // A recorded Confluence payload names no category: the file says its event.
    file: integration === "jira"
      ? undefined
      : (payload) => JSON.stringify({ ...payload, event: "page_created" }),
  })),
];

const manifest = `version: v2
project:
  name: hooks
  connections:
${
  cases.map((c) =>
    `    - name: ${c.integration}_conn
      integration: ${c.integration}
      vars:
${
      Object.entries(c.vars).map(([k, v]) => `        - name: ${k}\n          value: "${v}"`)
        .join("\n")
    }`
  ).join("\n")
}
  triggers:
${
  cases.map((c) =>
    `    - name: on_${c.integration}
      connection: ${c.integration}_conn
      event_type: ${c.eventType}
      filter: '${c.filter}'
      call: main.py:on_${c.integration}`
  ).join("\n")
}
`;

const code = cases.map((c) =>
  `def on_${c.integration}(event):
    print("${c.integration}", ${c.print})
`
).join("\n\n");

before(async () => {
  d = new TestDaemon(tempHome(scope));
  scope.after(() => d.kill());
  await d.start();
  const manifestPath = writeProject(scope, { "autokitteh.yaml": manifest, "main.py": code });
  dir = dirname(manifestPath);
  const res = await d.cli(["deploy", "--manifest", manifestPath]);
  assert.equal(res.code, 0, res.stderr);
});

function post(s: Signed, override: Partial<Signed> = {}): Promise<Response> {
  const m = { ...s, ...override };
  return fetch(d.url + m.path, {
    method: "POST",
    headers: { "content-type": "application/json", ...m.headers },
    body: m.body,
  });
}

async function sessionsOf(entrypoint: string): Promise<SessionJson[]> {
  const { sessions } = await d.api<{ sessions: (SessionJson & { entrypoint: string })[] }>(
    "/api/sessions?project=hooks",
  );
  return sessions.filter((s) => s.entrypoint.endsWith(entrypoint));
}

async function printsOf(entrypoint: string, count: number): Promise<string[]> {
  const done = await waitFor(`${count} ${entrypoint} sessions`, async () => {
    const list = await sessionsOf(entrypoint);
    const final = list.filter((s) => ["completed", "error", "stopped"].includes(s.state));
    return final.length >= count && list.length === final.length && final;
  });
  assert.equal(done.length, count, `${entrypoint} sessions`);
  const out: string[] = [];
  for (const s of done) {
    assert.equal(s.state, "completed", s.error ?? "");
    out.push(...await d.prints(s.session_id));
  }
  return out.sort();
}

for (const c of cases) {
  test(`${c.integration}: signed delivery runs, forged and replayed ones start nothing`, async () => {
    const entry = `on_${c.integration}`;
    const good = c.signed(c.payload(1), c.secret);

    const forged = c.signed(c.payload(2), "not-the-secret");
    const refused = await post(forged);
    assert.ok([401, 403].includes(refused.status), `forged: ${refused.status}`);
    const noSig = await post(forged, {
      headers: { "content-type": forged.headers["content-type"] ?? "application/json" },
    });
    assert.ok([401, 403].includes(noSig.status), `unsigned: ${noSig.status}`);

    const first = await post(good);
    assert.equal(first.status, 200, await first.text());
    assert.deepEqual(await printsOf(entry, 1), [c.expect(1)]);

    const again = await post(good);
    assert.equal(again.status, 409, "replay");
    assert.equal((await sessionsOf(entry)).length, 1, "the replay started nothing");

    // A recorded payload, dispatched by hand without the provider.
    const file = join(dir, `${c.integration}-payload.txt`);
    const recorded = c.payload(3);
    writeFileSync(file, c.file ? c.file(recorded) : JSON.stringify(recorded));
    const res = await d.cli([
      "event",
      "dispatch",
      "--integration",
      c.integration,
      "--file",
      file,
      "--connection",
      `hooks/${c.integration}_conn`,
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /session_id: /);
    assert.deepEqual(await printsOf(entry, 2), [c.expect(1), c.expect(3)].sort());
  });
}

test("zoom: the endpoint.url_validation challenge is answered with the token's HMAC", async () => {
  const zoom = cases.find((c) => c.integration === "zoom")!;
  const challenge = { event: "endpoint.url_validation", payload: { plainToken: "qgg8vlvZRS6U" } };
  const res = await post(zoom.signed(challenge, zoom.secret));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    plainToken: "qgg8vlvZRS6U",
    encryptedToken: hex("sha256", zoom.secret, "qgg8vlvZRS6U"),
  });
  const forged = await post(zoom.signed(challenge, "guess"));
  assert.equal(forged.status, 403);
});

test("linear: a stale webhookTimestamp is refused though signed", async () => {
  const linear = cases.find((c) => c.integration === "linear")!;
  const stale = { ...linear.payload(9), webhookTimestamp: Date.now() - 10 * 60_000 };
  const res = await post(linear.signed(stale, linear.secret));
  assert.equal(res.status, 400);
});

test("atlassian: a payload of another site reaches no connection", async () => {
  const jira = cases.find((c) => c.integration === "jira")!;
  const other = {
    webhookEvent: "jira:issue_created",
    issue: { self: "https://other.atlassian.net/rest/api/2/issue/1", key: "PRJ-99", fields: {} },
  };
  const res = await post(jira.signed(other, jira.secret));
  assert.equal(res.status, 200);
  const { events } = await d.api<{ events: { data: { issue?: { key?: string } } }[] }>(
    "/api/events?project=hooks",
  );
  assert.ok(!events.some((e) => e.data.issue?.key === "PRJ-99"));
});

test("connection get shows the delivery URL", async () => {
  const res = await d.cli(["connection", "get", "hooks/telegram_conn"]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /\/telegram\/webhook\/123/);
  assert.doesNotMatch(res.stdout, /tg-secret/);
});
