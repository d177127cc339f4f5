// The shapes real AutoKitteh projects' manifests take, each in a small manifest of its own,
// so that the parser keeps reading them without the corpus (scripts/corpus-check.ts runs
// the corpus itself).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseManifest } from "../../src/core/projects/manifest.ts";

const project = (body: string, version = "v1") =>
  parseManifest(`version: ${version}\n\nproject:\n  name: shape\n${body}`).project;

test("vars: plain numbers, dates, URLs, empty and folded values are text", () => {
  const p = project(`  vars:
    - name: COUNT
      value: 30
    - name: SINCE
      value: 2024-02-29T12:00:00Z
    - name: SITE
      value: https://example.test/a?b=c
    - name: EMPTY
      value:
    - name: FLAG
      value: true
    - # a comment before the name
      name: NOTE
      value: "x"
      description: >
        folded text
        over two lines
    - name: TOKEN
      secret: true
      value: ""
`);
  assert.deepEqual(p.vars.map((v) => v.value), [
    "30",
    "2024-02-29T12:00:00Z",
    "https://example.test/a?b=c",
    "",
    "true",
    "x",
    "",
  ]);
  assert.equal(p.vars[5].description, "folded text over two lines\n");
  assert.equal(p.vars[6].secret, true);
});

test("lists without indentation under their key, and sections in any order", () => {
  const p = project(`  triggers:
  - name: hook
    webhook: {}
    event_type: post
    call: main.py:on_post
  vars:
  - name: A
    value: "1"
  connections:
  - name: chat
    integration: anyintegration
`);
  assert.equal(p.triggers[0].type, "webhook");
  assert.equal(p.triggers[0].eventType, "post");
  assert.equal(p.connections[0].integration, "anyintegration");
});

test("webhook triggers by type, with and without call, sync and durable", () => {
  const p = project(
    `  triggers:
    - name: start
      type: webhook
      event_type: get
      call: handlers.py:on_start
      is_sync: true
      is_durable: true
    - name: feed
      type: webhook
      # no call: it only feeds subscribe()/next_event()
    - name: methods
      type: webhook
      filter: data.method in ["GET", "HEAD"]
      call: handlers.py:on_read
`,
    "v2",
  );
  assert.deepEqual(p.triggers.map((t) => [t.type, t.call, t.isSync, t.isDurable]), [
    ["webhook", "handlers.py:on_start", true, true],
    ["webhook", undefined, false, false],
    ["webhook", "handlers.py:on_read", false, false],
  ]);
});

test("schedule triggers: @every, nicknames with a comment, unquoted five fields", () => {
  const p = project(`  triggers:
    - name: often
      schedule: "@every 5m"
      call: jobs.py:often
    - name: nightly
      schedule: "@daily" # also \`0 0 * * *'
      call: jobs.py:nightly
    - name: weekly
      schedule: 30 7 * * 1
      call: jobs.py:weekly
`);
  assert.deepEqual(p.triggers.map((t) => t.schedule), ["@every 5m", "@daily", "30 7 * * 1"]);
  assert.ok(p.triggers.every((t) => t.type === "schedule"));
});

test("connection triggers: with and without event_type, filters in either quoting", () => {
  const p = project(`  connections:
    - name: chat
      integration: slack
    - name: code
      integration: github
  triggers:
    - name: any_chat
      connection: chat
      call: bot.py:on_any
    - name: commands
      connection: chat
      event_type: message
      filter: "data.thread_ts == '' && data.text.startsWith('!go')"
      call: bot.py:on_command
    - name: opened
      connection: code
      event_type: issue_comment
      filter: data.action == "created" && (data.action in ['created', 'edited'])
      call: gh.py:on_comment
    - name: by_type
      connection: code
      filter: event_type == 'push' && data.ref['x'] == 'y'
      call: gh.py:on_push
`);
  assert.deepEqual(p.triggers.map((t) => [t.type, t.connection, t.eventType]), [
    ["connection", "chat", ""],
    ["connection", "chat", "message"],
    ["connection", "code", "issue_comment"],
    ["connection", "code", ""],
  ]);
});

test("calls in subdirectories, and trailing blanks after a call", () => {
  const p = project(
    "  triggers:\n    - name: t\n      webhook: {}\n      call: lib/deep/h.py:run   \n\n    ",
  );
  assert.equal(p.triggers[0].call, "lib/deep/h.py:run");
});

test("a project with vars and connections only, and one with an empty vars key", () => {
  const a = project(
    "  vars:\n    - name: A\n      value: b\n  connections:\n    - name: c\n      integration: googlesheets\n",
  );
  assert.deepEqual(a.triggers, []);
  const b = project("  vars:\n  connections:\n    - name: c\n      integration: jira\n");
  assert.deepEqual(b.vars, []);
});

test("AutoKitteh's earlier trigger shapes: data (ignored, with a warning) and entrypoint", () => {
  const m = parseManifest(`version: v1
project:
  name: shape
  connections:
    - name: web
      integration: http
  triggers:
    - name: old_http
      connection: web
      data:
        path: some_path
      entrypoint: main.py:on_request
`);
  assert.equal(m.project.triggers[0].call, "main.py:on_request");
  assert.equal(m.ignored?.length, 1);
});
