// Connections with real authentication: the OAuth 2.0 dance against a fake provider on
// 127.0.0.1 (consent URL, redirect back to the daemon with a single-use state, code
// exchange with PKCE and the client secret), tokens stored encrypted, refreshed in the
// background and by refresh_oauth from a session, failures shown by `connection get`;
// and `connection set/get/test` with secrets masked everywhere.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { daemonFor, type TestDaemon, writeProject } from "../helpers/daemon.ts";
import { FakeOAuth } from "../helpers/fake-oauth.ts";
import { waitFor } from "../helpers/fakes.ts";
import { assertSecretsKept, deployRecorded, shortHash as hash } from "../helpers/recorded-cli.ts";
import { runHook } from "../helpers/webhook-session.ts";

const CLIENT_ID = "pounce-test-client";
const CLIENT_SECRET = "client-secret-never-in-sessions-42";

const manifest = `version: v1
project:
  name: oauthp
  connections:
    - name: sheets
      integration: googlesheets
    - name: tickets
      integration: jira
    - name: notes
      integration: notion
  triggers:
    - name: read
      webhook: {}
      call: main.py:read_token
    - name: refresh
      webhook: {}
      call: main.py:refresh
`;

const handler = `import hashlib
import os
from datetime import datetime

from autokitteh._oauth import _refresh_oauth


def _h(value):
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def read_token(event):
    print("env", _h(os.environ["sheets__oauth_AccessToken"]), os.environ["sheets__authType"])
    print("client secret seen", "GOOGLE_CLIENT_SECRET" in os.environ)


def refresh(event):
    try:
        token, expiry = _refresh_oauth("googlesheets", "sheets")
    except Exception as err:
        print("refresh failed", err)
        return
    print("fresh", _h(token), expiry > datetime.utcnow())
`;

type OAuthJson = {
  authorized: boolean;
  expires_at: string | null;
  expired: boolean;
  redirect_url: string;
  refresh: { state: string; last_error?: string; failures: number } | null;
};

async function oauthOf(d: TestDaemon): Promise<OAuthJson> {
  const { connection } = await d.api<{ connection: { oauth: OAuthJson } }>(
    "/api/connections/oauthp%2Fsheets",
  );
  return connection.oauth;
}

async function setUp(t: test.TestContext) {
  const fake = new FakeOAuth(CLIENT_ID, CLIENT_SECRET);
  await fake.start();
  t.after(() => fake.close());
  const d = await daemonFor(t, {
    GOOGLE_CLIENT_ID: CLIENT_ID,
    GOOGLE_CLIENT_SECRET: CLIENT_SECRET,
    POUNCE_OAUTH_GOOGLE_BASE_URL: fake.url,
  });
  const { cli, outputs, deployed } = await deployRecorded(t, d, {
    "autokitteh.yaml": manifest,
    "main.py": handler,
  });
  return { fake, d, cli, outputs, deployOut: deployed.stdout };
}

test("oauth: consent, encrypted tokens, background and session refreshes, failures", async (t) => {
  const { fake, d, cli, outputs, deployOut } = await setUp(t);

  // Not authorized yet: get says so, and where the provider must send the browser back.
  let o = await oauthOf(d);
  assert.equal(o.authorized, false);
  assert.equal(o.redirect_url, `${d.url}/oauth/redirect/google`);

  // The first tokens live 3 s: the refresher renews them long before they expire.
  fake.expiresIn = 3;
  const init = await cli("connection", "init", "oauthp/sheets", "--no-browser");
  assert.equal(init.code, 0, init.stderr);
  const consent = new URL(init.stdout.split("\n")[1]);
  assert.equal(consent.origin, fake.url);
  assert.equal(consent.searchParams.get("code_challenge_method"), "S256");
  assert.equal(consent.searchParams.get("redirect_uri"), `${d.url}/oauth/redirect/google`);
  assert.match(consent.searchParams.get("scope")!, /spreadsheets/);
  assert.equal(consent.searchParams.get("access_type"), "offline");

  // The user consents: the provider redirects to the daemon, which exchanges the code.
  const toProvider = await fetch(consent, { redirect: "manual" });
  assert.equal(toProvider.status, 302);
  const back = toProvider.headers.get("location")!;
  assert.ok(back.startsWith(`${d.url}/oauth/redirect/google?`), back);
  const done = await fetch(back);
  assert.equal(done.status, 200, await done.clone().text());
  assert.match(await done.text(), /Connection "sheets" is authorized/);
  assert.equal(fake.exchanges, 1);
  assert.deepEqual(fake.rejected, []);

  // The state works once; a forged one, or one sent to another app's redirect, never.
  const replayed = await fetch(back);
  assert.equal(replayed.status, 400);
  assert.match(await replayed.text(), /unknown, already used or expired OAuth state/);
  const forged = new URL(back);
  forged.searchParams.set("state", "forged-state-value");
  assert.equal((await fetch(forged)).status, 400);
  const init2 = await cli("connection", "init", "oauthp/sheets", "--no-browser", "--json");
  const second = new URL(JSON.parse(init2.stdout).url);
  const elsewhere = `${d.url}/oauth/redirect/slack?code=x&state=${
    second.searchParams.get("state")
  }`;
  assert.equal((await fetch(elsewhere)).status, 400);
  // ...and that state is spent now, even though it was used at the wrong redirect.
  const late = await fetch(second, { redirect: "manual" });
  assert.equal((await fetch(late.headers.get("location")!)).status, 400);
  assert.equal(fake.exchanges, 1);

  // Background refresh, long-lived tokens from then on.
  fake.expiresIn = 3600;
  await waitFor("a background refresh", () => fake.refreshes >= 1, 20_000);
  o = await waitFor("a fresh token", async () => {
    const x = await oauthOf(d);
    return x.refresh?.state === "scheduled" && !x.expired && x.expires_at !== null &&
      Date.parse(x.expires_at) - Date.now() > 3_000_000 && x;
  });
  assert.equal(o.authorized, true);

  // A session reads the current token from its environment; the client secret stays
  // the daemon's.
  let s = await runHook(d, deployOut, "oauthp", "read");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.deepEqual(await d.prints(s.session_id), [
    `env ${hash(fake.lastAccessToken)} oauth`,
    "client secret seen False",
  ]);

  // A session asks for a refresh: a new token, from the provider, with its expiry.
  const before = fake.refreshes;
  s = await runHook(d, deployOut, "oauthp", "refresh");
  assert.equal(s.state, "completed", s.error ?? "");
  assert.equal(fake.refreshes, before + 1);
  assert.deepEqual(await d.prints(s.session_id), [`fresh ${hash(fake.lastAccessToken)} True`]);

  // The provider refuses: the session gets an error (not a stale token), and connection
  // get / test show the failure.
  fake.failRefresh = true;
  s = await runHook(d, deployOut, "oauthp", "refresh");
  assert.equal(s.state, "completed", s.error ?? "");
  const [failed] = await d.prints(s.session_id);
  assert.match(failed, /^refresh failed .*invalid_grant: refresh token revoked/);
  o = await oauthOf(d);
  assert.equal(o.refresh?.state, "failed");
  assert.match(o.refresh!.last_error!, /token refresh failed: invalid_grant/);
  const got = await cli("connection", "get", "oauthp/sheets");
  assert.equal(got.code, 0, got.stderr);
  assert.match(got.stdout, /^ {2}oauth_AccessToken=\*{8}$/m);
  assert.match(got.stdout, /^ {2}oauth_RefreshToken=\*{8}$/m);
  assert.match(got.stdout, /^ {2}authType=oauth$/m);
  assert.match(got.stdout, /^ {4}state: failed$/m);
  assert.match(got.stdout, /last_error: token refresh failed: invalid_grant/);
  const tested = await cli("connection", "test", "oauthp/sheets");
  assert.match(tested.stdout, /status: warning\nmessage: OAuth token refresh failed/);
  await cli("connection", "get", "oauthp/sheets", "--json");

  // The provider's tokens and the client secret: never in clear in the database, the
  // daemon's log or any CLI output.
  await assertSecretsKept(d, outputs, [
    ...fake.accessTokens,
    ...fake.refreshTokens,
    CLIENT_SECRET,
  ]);
});

test("oauth: connection set/get/test keep credentials masked", async (t) => {
  const { d, cli, outputs } = await setUp(t);
  const key = JSON.stringify({ type: "service_account", private_key: "-----PRIVATE sa-key-77" });
  const keyFile = join(dirname(writeProject(t, { "autokitteh.yaml": "" })), "sa.json");
  writeFileSync(keyFile, key);

  const set = await cli(
    "connection",
    "set",
    "oauthp/sheets",
    "oauth_AccessToken=manual-token-1234",
    "region=eu",
    "--file",
    `JSON=${keyFile}`,
  );
  assert.equal(set.code, 0, set.stderr);
  assert.equal(
    set.stdout.trim(),
    [
      'var "oauth_AccessToken" set (secret)',
      'var "region" set (secret)',
      'var "JSON" set (secret)',
    ].join("\n"),
  );
  assert.match(set.stderr, /\[warn\] "region" is not a var integration "googlesheets" knows/);
  assert.match(set.stderr, /known: JSON, authType, oauth_AccessToken/);

  const bad = await cli("connection", "set", "oauthp/sheets", "no-equals-sign");
  assert.equal(bad.code, 40);
  const badName = await cli("connection", "set", "oauthp/sheets", "bad-name=1");
  assert.equal(badName.code, 40);
  assert.match(badName.stderr, /vars\.bad-name: a name is letters, digits and underscores/);
  // No OAuth app configured in the daemon for Jira; no OAuth flow at all for Notion.
  const noApp = await cli("connection", "init", "oauthp/tickets", "--no-browser");
  assert.equal(noApp.code, 40);
  assert.match(noApp.stderr, /set JIRA_CLIENT_ID and JIRA_CLIENT_SECRET in its environment/);
  const noFlow = await cli("connection", "init", "oauthp/notes", "--no-browser");
  assert.equal(noFlow.code, 40, noFlow.stderr);
  assert.match(noFlow.stderr, /integration "notion" has no OAuth flow/);

  const got = await cli("connection", "get", "oauthp/sheets");
  assert.equal(got.code, 0, got.stderr);
  assert.match(got.stdout, /^ {2}JSON=\*{8}$/m);
  assert.match(got.stdout, /^ {2}oauth_AccessToken=\*{8}$/m);
  assert.match(got.stdout, /^not set:\n {2}authType/m);
  const json = await cli("connection", "get", "oauthp/sheets", "--json");
  assert.ok(JSON.parse(json.stdout).vars.every((v: { value: string }) => v.value === "********"));
  const tested = await cli("connection", "test", "oauthp/sheets");
  assert.equal(tested.code, 0, tested.stderr);
  assert.match(tested.stdout, /^set: JSON \(secret\), oauth_AccessToken \(secret\), region/m);
  const testedJson = await cli("connection", "test", "oauthp/sheets", "--json");
  assert.ok(JSON.parse(testedJson.stdout).set.length === 3);

  await assertSecretsKept(d, outputs, ["manual-token-1234", "sa-key-77"]);
});
