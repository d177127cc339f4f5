// The pure parts of the Slack and GitHub integrations: request checks, payload shapes,
// slash command parsing, reconnect backoff.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { githubEvents } from "../../src/integrations/github/events.ts";
import { parseSlashCommands } from "../../src/integrations/github/slash-commands.ts";
import { readSignature, signatureMatches } from "../../src/integrations/github/verify.ts";
import { fromEventCallback, fromSlashCommand } from "../../src/integrations/slack/events.ts";
import { backoff } from "../../src/integrations/slack/socket-mode.ts";
import {
  checkHeaders,
  signatureMatches as slackMatches,
} from "../../src/integrations/slack/verify.ts";

const enc = (s: string) => new TextEncoder().encode(s);

test("Slack request checks: content type, timestamp window, signature", () => {
  const now = 1_700_000_000_000;
  const ts = String(now / 1000);
  const body = '{"type":"event_callback"}';
  const sig = "v0=" + createHmac("sha256", "s3cret").update(`v0:${ts}:${body}`).digest("hex");
  const headers = (h: Record<string, string>) => new Headers(h);
  const ok = checkHeaders(
    headers({
      "content-type": "application/json; charset=utf-8",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": sig,
    }),
    "application/json",
    now,
  );
  assert.ok(!("status" in ok));
  assert.ok(slackMatches("s3cret", ok, enc(body)));
  assert.ok(!slackMatches("other", ok, enc(body)));
  assert.ok(!slackMatches("s3cret", ok, enc(body + " ")));
  const status = (h: Record<string, string>, t = now) => {
    const r = checkHeaders(headers(h), "application/json", t);
    return "status" in r ? r.status : 200;
  };
  const good = { "content-type": "application/json", "x-slack-request-timestamp": ts };
  assert.equal(status({ ...good, "x-slack-signature": sig }), 200);
  assert.equal(status({ ...good, "content-type": "text/plain", "x-slack-signature": sig }), 400);
  assert.equal(status({ "content-type": "application/json", "x-slack-signature": sig }), 401);
  assert.equal(status(good), 401);
  assert.equal(status({ ...good, "x-slack-signature": sig }, now + 5 * 60_000 + 1000), 403);
  assert.equal(
    status({ ...good, "x-slack-request-timestamp": "1e9", "x-slack-signature": sig }),
    403,
  );
});

test("Slack events: inner type, install ids, the bot's own messages dropped", () => {
  const body = (event: Record<string, unknown>) => ({
    type: "event_callback",
    api_app_id: "A1",
    team_id: "T1",
    authorizations: [{ user_id: "UBOT", is_bot: true }],
    event,
  });
  const mention = fromEventCallback(body({ type: "app_mention", user: "U1", text: "hi" }));
  assert.equal(mention.installIds, "A1//T1");
  assert.deepEqual(mention.event, {
    eventType: "app_mention",
    // AutoKitteh's shape: its struct's other fields, empty (slack-shapes.test.ts).
    data: {
      type: "app_mention",
      user: "U1",
      text: "hi",
      team: "",
      channel: "",
      ts: "",
      event_ts: "",
      blocks: [],
      client_msg_id: "",
    },
  });
  assert.equal(fromEventCallback(body({ type: "message", user: "UBOT" })).event, null);
  const edited = { type: "message", subtype: "message_changed", message: { user: "UBOT" } };
  assert.equal(fromEventCallback(body(edited)).event, null);
  assert.equal(
    fromEventCallback(body({ type: "reaction_added", user: "UBOT" })).event?.eventType,
    "reaction_added",
  );
  const cmd = fromSlashCommand({
    command: "/x",
    text: "y",
    team_id: "T1",
    api_app_id: "A1",
    enterprise_id: "E1",
  });
  assert.equal(cmd.installIds, "A1/E1/T1");
  assert.equal(cmd.event?.data.is_enterprise_install, false);
});

test("Socket Mode reconnects back off exponentially, with jitter, up to 30s", () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3].map((n) => backoff(n, mid)), [500, 1000, 2000, 4000]);
  assert.equal(backoff(20, mid), 30_000);
  assert.equal(backoff(0, () => 0), 400);
  assert.equal(backoff(0, () => 1), 600);
});

test("GitHub signatures: sha256 preferred, sha1 accepted alone", () => {
  const body = enc('{"a":1}');
  const mac = (alg: string, key: string) =>
    `${alg}=${createHmac(alg, key).update(body).digest("hex")}`;
  const both = readSignature(
    new Headers({
      "x-hub-signature-256": mac("sha256", "k"),
      "x-hub-signature": mac("sha1", "other"),
    }),
  )!;
  assert.equal(both.algorithm, "sha256");
  assert.ok(signatureMatches("k", both, body));
  const sha1 = readSignature(new Headers({ "x-hub-signature": mac("sha1", "k") }))!;
  assert.ok(signatureMatches("k", sha1, body));
  assert.ok(!signatureMatches("x", sha1, body));
  assert.equal(readSignature(new Headers()), undefined);
});

test("GitHub slash commands: lines starting with / outside code fences, at most 16", () => {
  const md = "/deploy prod  now\r\n text\n```\n/no\n```\n~~~\n/no\n~~~\n / no\n/\n/ok";
  assert.deepEqual(parseSlashCommands(md), [
    { name: "deploy", args: ["prod", "now"], raw: "/deploy prod  now" },
    { name: "ok", args: [], raw: "/ok" },
  ]);
  assert.equal(parseSlashCommands(Array(20).fill("/x").join("\n")).length, 16);
  const events = githubEvents("pull_request", {
    action: "opened",
    pull_request: { body: "/lgtm" },
  });
  assert.deepEqual(events.map((e) => e.eventType), ["pull_request", "slash_command"]);
  assert.deepEqual(events[1].data.command, { name: "lgtm", args: [], raw: "/lgtm" });
  assert.equal(events[1].data.actual_event_type, "pull_request");
  assert.deepEqual(githubEvents("push", { ref: "main" })[0].data, {
    ref: "main",
    slash_commands: [],
  });
});
