// Connections: declared in the manifest, listed, shown and tested by the CLI, their vars
// set with `pounce var set --connection`; handlers see `<conn>__<var>`,
// `<conn>__connection_id` and `<trigger>__webhook_url`. Secrets are encrypted at rest,
// masked by the CLI unless revealed, and never in the daemon's log or the database file.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor, webhookPath, writeProject } from "../helpers/daemon.ts";
import { assertSecretsKept, deployRecorded, shortHash as hash } from "../helpers/recorded-cli.ts";

const SIGNING = "conn-signing-secret-1234";
const TOKEN = "xoxb-conn-bot-token-5678";
const PROJECT_SECRET = "project-secret-9abc";

const manifest = `version: v2
project:
  name: conns
  vars:
    - name: API_KEY
      value: ${PROJECT_SECRET}
      secret: true
  connections:
    - name: chat
      integration: slack
      vars:
        - name: private_signing_secret
          value: ${SIGNING}
        - name: install_ids
          value: A5//T5
    - name: notes
      integration: notion
      vars:
        - name: workspace
          value: docs
  triggers:
    - name: hook
      webhook: {}
      call: main.py:on_hook
`;

const handler = `import hashlib
import os


def _hash(value):
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def on_hook(event):
    print("id", os.environ["chat__connection_id"])
    print("signing", _hash(os.environ["chat__private_signing_secret"]))
    print("token", _hash(os.environ["chat__private_bot_token"]))
    print("install_ids", os.environ["chat__install_ids"])
    print("notes", os.environ["notes__workspace"], os.environ["notes__connection_id"][:4])
    print("url", os.environ["hook__webhook_url"])
`;

test("connections: CLI, handler environment, and secrets kept secret", async (t) => {
  const d = await daemonFor(t, {}, ["--log-level", "debug"]);
  const { cli, outputs, deployed } = await deployRecorded(t, d, {
    "autokitteh.yaml": manifest,
    "main.py": handler,
  });
  assert.match(deployed.stdout, /connection "chat" event_url: http:\/\/\S+\/slack\/event/);

  const list = await cli("connection", "list", "--project", "conns");
  assert.equal(list.code, 0, list.stderr);
  assert.match(
    list.stdout,
    /connection_id=con_\w+ {2}project=conns {2}name=chat {2}integration=slack/,
  );
  assert.match(list.stdout, /name=notes {2}integration=notion/);
  const { connections } = await d.api<{ connections: { name: string; connection_id: string }[] }>(
    "/api/connections?project=conns",
  );
  const chatId = connections.find((c) => c.name === "chat")!.connection_id;

  // A var the integration declares secret is secret without --secret.
  const set = await cli("var", "set", "--connection", "conns/chat", "private_bot_token", TOKEN);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout.trim(), 'var "private_bot_token" set (secret)');
  const plain = await cli("var", "set", "--connection", chatId, "channel", "C42");
  assert.equal(plain.stdout.trim(), 'var "channel" set');

  const got = await cli("connection", "get", "chat", "--project", "conns");
  assert.equal(got.code, 0, got.stderr);
  assert.match(got.stdout, /^connection_id: con_\w+$/m);
  assert.match(got.stdout, /^ {2}private_signing_secret=\*{8}$/m);
  assert.match(got.stdout, /^ {2}private_bot_token=\*{8}$/m);
  assert.match(got.stdout, /^ {2}install_ids=A5\/\/T5$/m);
  assert.match(got.stdout, /^ {2}chat__private_bot_token$/m);
  assert.match(got.stdout, /^ {2}chat__connection_id$/m);
  const vars = await cli("var", "get", "--connection", "conns/chat");
  assert.match(vars.stdout, /private_signing_secret=\*{8}/);
  assert.match(vars.stdout, /channel=C42/);

  const revealed = await d.cli(["connection", "get", "conns/chat", "--reveal", "--json"]);
  const shown = JSON.parse(revealed.stdout).vars as { name: string; value: string }[];
  assert.equal(shown.find((v) => v.name === "private_bot_token")!.value, TOKEN);
  assert.equal(shown.find((v) => v.name === "private_signing_secret")!.value, SIGNING);

  const missing = await cli("connection", "get", "conns/nope", "--fail");
  assert.equal(missing.code, 44);
  const untested = await cli("connection", "test", "conns/notes");
  assert.equal(untested.code, 0, untested.stderr);
  assert.match(untested.stdout, /status: warning\nmessage: no test for integration "notion"/);

  const path = webhookPath(deployed.stdout, "hook");
  assert.equal((await fetch(d.url + path, { method: "POST" })).status, 202);
  const s = await d.waitSession("conns");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints("conns"), [
    `id ${chatId}`,
    `signing ${hash(SIGNING)}`,
    `token ${hash(TOKEN)}`,
    "install_ids A5//T5",
    "notes docs con_",
    `url ${d.url}${path}`,
  ]);

  // A redeploy with the same manifest keeps the var set from the CLI.
  const again = await cli(
    "deploy",
    "--manifest",
    writeProject(t, {
      "autokitteh.yaml": manifest,
      "main.py": handler,
    }),
  );
  assert.equal(again.code, 0, again.stderr);
  const after = await d.cli([
    "var",
    "get",
    "private_bot_token",
    "--connection",
    chatId,
    "--reveal",
  ]);
  assert.equal(after.stdout.trim(), `private_bot_token=${TOKEN}`);

  await assertSecretsKept(d, outputs, [SIGNING, TOKEN, PROJECT_SECRET]);
});
