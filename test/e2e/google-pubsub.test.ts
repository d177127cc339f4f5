// Google Forms and Gmail through Cloud Pub/Sub pushes: the daemon makes the watches
// against the topics AutoKitteh's env names, and a push whose Google-signed OIDC token
// verifies (against a fake JWKS on 127.0.0.1) lists what changed and starts sessions
// with AutoKitteh's event types and data. A bad token (wrong key, audience, issuer,
// email, expired, none) and a replayed Pub/Sub message id start nothing.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import {
  FakeGoogleApi,
  GOOGLE_ACCESS_TOKEN as ACCESS,
  type GoogleCall,
  type GoogleReply,
} from "../helpers/fake-google.ts";
import { waitFor } from "../helpers/fakes.ts";
import { projectReads } from "../helpers/project-reads.ts";
import { fileScope, tempHome, TestDaemon, writeProject } from "../helpers/daemon.ts";

const PUSHER = "pubsub-push@proj.iam.gserviceaccount.com";
const FORM = "form-1";
const MAILBOX = "kit@example.com";

type Key = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

// Forms watches and responses, Gmail watch and history, and the JWKS Google signs with.
class FakeGoogle extends FakeGoogleApi {
  readonly formWatches: { id: string; eventType: string; topic: string }[] = [];
  readonly renewed: string[] = [];
  readonly responses: Record<string, unknown>[] = [];
  readonly gmailWatches: { topicName: string }[] = [];
  readonly history: { id: string; messagesAdded: { message: Record<string, unknown> }[] }[] = [];
  jwks: JWK[] = [];
  // What a new form watch is granted (a renewal: 7 days).
  formWatchLifetimeMs = 3600_000 + 4_000;

  protected override unauthenticated({ path }: GoogleCall): GoogleReply | undefined {
    if (path === "/oauth2/v3/certs") return [200, { keys: this.jwks }];
  }

  protected route({ method, path: p, query, body }: GoogleCall): GoogleReply | undefined {
    const expireTime = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
    if (p === `/v1/forms/${FORM}/watches` && method === "POST") {
      const w = body?.watch as { eventType: string; target: { topic: { topicName: string } } };
      const id = `watch-${this.formWatches.length + 1}`;
      this.formWatches.push({ id, eventType: w.eventType, topic: w.target.topic.topicName });
      return [200, {
        id,
        eventType: w.eventType,
        expireTime: new Date(Date.now() + this.formWatchLifetimeMs).toISOString(),
        state: "ACTIVE",
      }];
    }
    const renew = p.match(new RegExp(`^/v1/forms/${FORM}/watches/([^/]+):renew$`));
    if (renew) {
      this.renewed.push(renew[1]);
      return [200, { id: renew[1], expireTime }];
    }
    if (p === `/v1/forms/${FORM}/responses`) {
      const m = (query.get("filter") ?? "").match(/^timestamp >= (\S+)$/);
      assert.ok(m, `a timestamp filter: ${query.get("filter")}`);
      const since = Date.parse(m[1]);
      return [200, {
        responses: this.responses.filter((r) => Date.parse(r.lastSubmittedTime as string) >= since),
      }];
    }
    if (p === `/v1/forms/${FORM}`) {
      return [200, { formId: FORM, revisionId: "rev-2", info: { title: "Signup" } }];
    }
    if (p === "/gmail/v1/users/me/profile") {
      return [200, { emailAddress: MAILBOX, historyId: "100" }];
    }
    if (p === "/gmail/v1/users/me/watch") {
      this.gmailWatches.push(body as { topicName: string });
      return [200, { historyId: "100", expiration: String(Date.now() + 7 * 86400_000) }];
    }
    if (p === "/gmail/v1/users/me/history") {
      const start = Number(query.get("startHistoryId"));
      const newer = this.history.filter((h) => Number(h.id) > start);
      return [200, { history: newer, historyId: newer.at(-1)?.id ?? String(start) }];
    }
  }
}

const scope = fileScope();
let d: TestDaemon;
let google: FakeGoogle;
let googleKey: Key;
let otherKey: Key;
let nextMessage = 1;

type Claims = { aud?: string; iss?: string; email?: string; exp?: number; key?: Key };

// An OIDC token as Pub/Sub's push signs it, with `claims` changed.
function pushToken(path: string, claims: Claims = {}): Promise<string> {
  const t = Math.floor(Date.now() / 1000);
  return new SignJWT({ email: claims.email ?? PUSHER, email_verified: true })
    .setProtectedHeader({ alg: "RS256", kid: "k1", typ: "JWT" })
    .setIssuer(claims.iss ?? "https://accounts.google.com")
    .setAudience(claims.aud ?? d.url + path)
    .setIssuedAt(t - 60)
    .setExpirationTime(claims.exp ?? t + 3600)
    .sign(claims.key ?? googleKey);
}

// A wrapped push (the JSON envelope) of a Forms watch's message.
async function formsPush(
  attributes: Record<string, string>,
  opts: { messageId?: string; token?: string | null } = {},
): Promise<number> {
  const messageId = opts.messageId ?? String(nextMessage++);
  const token = opts.token === undefined ? await pushToken("/googleforms/notif") : opts.token;
  const res = await fetch(`${d.url}/googleforms/notif`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({
      message: { attributes, data: "", messageId, publishTime: "2026-12-07T09:00:00Z" },
      subscription: "projects/proj/subscriptions/forms-push",
    }),
  });
  await res.body?.cancel();
  return res.status;
}

const handler = `def on_response(event):
    d = event.data
    print("response", event.event_type, d.event_type, d.form_id, d.response["responseId"],
          d.response["answers"]["q1"]["textAnswers"]["answers"][0]["value"])


def on_schema(event):
    print("schema", event.event_type, event.data.form["info"]["title"])


def on_mail(event):
    d = event.data
    print("mail", event.event_type, d.email_address, d.history_id,
          [m["id"] for m in d.messages_added])
`;

const manifest = `version: v2
project:
  name: gps
  connections:
    - name: form
      integration: googleforms
      vars:
        - name: FormID
          value: ${FORM}
    - name: mail
      integration: gmail
  triggers:
    - name: answers
      connection: form
      event_type: responses
      call: main.py:on_response
    - name: schema
      connection: form
      event_type: schema
      call: main.py:on_schema
    - name: inbox
      connection: mail
      event_type: mailbox_change
      call: main.py:on_mail
`;

const { sessions, events, finished } = projectReads(() => d);
const eventCount = async () => (await events("gps")).length;

before(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  googleKey = pair.privateKey;
  otherKey = (await generateKeyPair("RS256")).privateKey;
  google = await new FakeGoogle().start();
  google.jwks = [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" }];
  scope.after(() => google.close());
  d = new TestDaemon(tempHome(scope), {
    POUNCE_GOOGLE_API_URL: google.url,
    POUNCE_GOOGLE_JWKS_URL: `${google.url}/oauth2/v3/certs`,
    POUNCE_GOOGLE_PUBSUB_EMAIL: PUSHER,
    GOOGLE_FORMS_PUBSUB_TOPIC: "projects/proj/topics/forms",
    GMAIL_PUBSUB_TOPIC: "projects/proj/topics/gmail",
  });
  scope.after(() => d.kill());
  await d.start(["--log-level", "debug"]);
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(scope, { "autokitteh.yaml": manifest, "main.py": handler }),
  ]);
  assert.equal(out.code, 0, out.stderr);
  assert.doesNotMatch(out.stdout + out.stderr, /never fires/);
  for (const c of ["gps/form", "gps/mail"]) {
    const set = await d.cli(["connection", "set", c, `oauth_AccessToken=${ACCESS}`]);
    assert.equal(set.code, 0, set.stderr);
  }
});

test("a form's SCHEMA and RESPONSES watches are made on the topic", async () => {
  await waitFor("two form watches", () => google.formWatches.length === 2);
  assert.deepEqual(google.formWatches.map((w) => [w.eventType, w.topic]), [
    ["SCHEMA", "projects/proj/topics/forms"],
    ["RESPONSES", "projects/proj/topics/forms"],
  ]);
  const out = await d.cli(["connection", "get", "gps/form"]);
  assert.match(out.stdout, /status:\s*watch: form watches watch-2 \(responses\)/);
});

test("a Forms response push starts a session seeing AutoKitteh's data", async () => {
  google.responses.push({
    responseId: "resp-1",
    createTime: new Date().toISOString(),
    lastSubmittedTime: new Date(Date.now() + 1000).toISOString(),
    answers: { q1: { questionId: "q1", textAnswers: { answers: [{ value: "yes" }] } } },
  });
  const watchId = google.formWatches.find((w) => w.eventType === "RESPONSES")!.id;
  const status = await formsPush({ eventType: "RESPONSES", formId: FORM, watchId });
  assert.equal(status, 200);
  const prints = await finished("gps", "main.py:on_response", 1);
  assert.deepEqual(prints, [`response responses RESPONSES ${FORM} resp-1 yes`]);
});

test("a schema push starts a session with the form", async () => {
  const watchId = google.formWatches.find((w) => w.eventType === "SCHEMA")!.id;
  assert.equal(await formsPush({ eventType: "SCHEMA", formId: FORM, watchId }), 200);
  assert.deepEqual(await finished("gps", "main.py:on_schema", 1), ["schema schema Signup"]);
});

test("a push without a valid token starts nothing", async () => {
  google.responses.push({
    responseId: "resp-2",
    lastSubmittedTime: new Date(Date.now() + 2000).toISOString(),
    answers: { q1: { textAnswers: { answers: [{ value: "no" }] } } },
  });
  const watchId = google.formWatches.find((w) => w.eventType === "RESPONSES")!.id;
  const attrs = { eventType: "RESPONSES", formId: FORM, watchId };
  const before = await eventCount();
  const path = "/googleforms/notif";
  const t = Math.floor(Date.now() / 1000);
  const cases: [string, string | null, number][] = [
    ["no token", null, 401],
    ["not a JWT", "garbage", 401],
    ["signed by another key", await pushToken(path, { key: otherKey }), 401],
    ["another audience", await pushToken(path, { aud: "https://elsewhere.example/x" }), 401],
    ["another issuer", await pushToken(path, { iss: "https://evil.example" }), 401],
    ["expired", await pushToken(path, { exp: t - 3600 }), 401],
    ["another account", await pushToken(path, { email: "someone@evil.example" }), 403],
  ];
  for (const [what, token, want] of cases) {
    assert.equal(await formsPush(attrs, { token }), want, what);
  }
  assert.equal(await eventCount(), before);
  assert.equal((await sessions("gps", "main.py:on_response")).length, 1);
});

test("a replayed Pub/Sub message id starts nothing", async () => {
  const watchId = google.formWatches.find((w) => w.eventType === "RESPONSES")!.id;
  const attrs = { eventType: "RESPONSES", formId: FORM, watchId };
  assert.equal(await formsPush(attrs, { messageId: "m-replay" }), 200);
  await finished("gps", "main.py:on_response", 2);
  google.responses.push({
    responseId: "resp-3",
    lastSubmittedTime: new Date(Date.now() + 3000).toISOString(),
    answers: { q1: { textAnswers: { answers: [{ value: "maybe" }] } } },
  });
  const before = await eventCount();
  assert.equal(await formsPush(attrs, { messageId: "m-replay" }), 409);
  assert.equal(await eventCount(), before);
  assert.equal((await sessions("gps", "main.py:on_response")).length, 2);
});

test("form watches are renewed (watches.renew) an hour before they expire", async () => {
  await waitFor("both watches renewed", () => google.renewed.length >= 2, 30_000);
  assert.deepEqual([...new Set(google.renewed)].sort(), ["watch-1", "watch-2"]);
  assert.equal(google.formWatches.length, 2, "no new watch");
});

test("a Gmail push starts a mailbox_change session with the new messages", async () => {
  await waitFor("a Gmail watch", () => google.gmailWatches.length === 1);
  assert.equal(google.gmailWatches[0].topicName, "projects/proj/topics/gmail");
  await waitFor(
    "the Gmail watch stored",
    async () =>
      /watch: mailbox kit@example.com/.test(
        (await d.cli(["connection", "get", "gps/mail"])).stdout,
      ),
  );
  google.history.push({
    id: "101",
    messagesAdded: [{ message: { id: "msg-1", threadId: "t-1", labelIds: ["INBOX"] } }],
  });
  // Unwrapped with metadata, as AutoKitteh's subscriptions push: the data is the body.
  const res = await fetch(`${d.url}/gmail/notif`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${await pushToken("/gmail/notif")}`,
      "x-goog-pubsub-message-id": "g-1",
      "x-goog-pubsub-publish-time": "2026-12-07T09:00:00Z",
      "x-goog-pubsub-subscription-name": "projects/proj/subscriptions/gmail-push",
    },
    body: JSON.stringify({ emailAddress: MAILBOX, historyId: 101 }),
  });
  assert.equal(res.status, 200, await res.text());
  assert.deepEqual(await finished("gps", "main.py:on_mail", 1), [
    `mail mailbox_change ${MAILBOX} 101 ['msg-1']`,
  ]);
});
