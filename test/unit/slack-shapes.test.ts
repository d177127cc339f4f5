// Slack payloads get every field of AutoKitteh's structs, and keep what Slack sent.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromEventCallback, fromInteraction } from "../../src/integrations/slack/events.ts";

test("a message gets AutoKitteh's empty fields; nested messages are filled too", () => {
  const { event } = fromEventCallback({
    type: "event_callback",
    event: {
      type: "message",
      subtype: "message_changed",
      channel: "C1",
      message: { type: "message", text: "new", reactions: [{ name: "+1" }] },
      extra: 7,
    },
  });
  const data = event!.data as Record<string, unknown>;
  assert.equal(data.subtype, "message_changed");
  assert.equal(data.thread_ts, "");
  assert.equal(data.reply_count, 0);
  assert.deepEqual(data.blocks, []);
  assert.equal(data.previous_message, null);
  assert.equal(data.extra, 7);
  const inner = data.message as Record<string, unknown>;
  assert.equal(inner.thread_ts, "");
  assert.equal(inner.message, null);
  assert.deepEqual(inner.reactions, [{ name: "+1", users: [], count: 0 }]);
});

test("an interaction's button has a style; unknown event types pass as sent", () => {
  const { event } = fromInteraction({
    type: "block_actions",
    team: { id: "T1" },
    actions: [{ action_id: "a", type: "button" }],
  });
  const data = event!.data as { actions: Record<string, unknown>[]; user: unknown };
  assert.equal(data.actions[0].style, "");
  assert.equal(data.actions[0].text, null);
  assert.equal(data.user, null);
  const other = fromEventCallback({ type: "event_callback", event: { type: "team_join", x: 1 } });
  assert.deepEqual(other.event!.data, { type: "team_join", x: 1 });
});
