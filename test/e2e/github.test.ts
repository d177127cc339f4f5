// GitHub: signed deliveries to a PAT connection's webhook and to a GitHub App start
// sessions on the connections they are for; unsigned and wrongly signed ones start none;
// slash commands in comments become their own events; a signed body is taken once, whatever
// its unsigned headers say; bodies are read bounded and verified before they are parsed;
// connection tests reach the API with a PAT or with an installation token got through a
// JWT the daemon signs. GitHub itself is a fake on 127.0.0.1.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { before, test } from "node:test";
import { FakeGitHub, githubSignature, waitFor } from "../helpers/fakes.ts";
import { fileScope, tempHome, TestDaemon, writeProject } from "../helpers/daemon.ts";
import { holdPost, memoryOf, resetPeak } from "../helpers/raw-post.ts";
import { projectReads } from "../helpers/project-reads.ts";

const PAT_SECRET = "gh-pat-webhook-secret";
const APP_SECRET = "gh-app-webhook-secret";
const PAT = "ghp_pounce_test_token";

const scope = fileScope();

const keys = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

let d: TestDaemon;
let gh: FakeGitHub;
let patPath = "";

const handler = `def on_issue(event):
    d = event.data
    print("issue", event.event_type, d.action, d.issue.title, len(d.slash_commands))


def on_slash(event):
    c = event.data.command
    print("slash", c.name, " ".join(c.args), event.data.actual_event_type)
    print("raw", c.raw)
`;

const manifest = (name: string, conn: string, vars: Record<string, string>, extra = "") =>
  `version: v2
project:
  name: ${name}
  connections:
    - name: ${conn}
      integration: github
      vars:
${
    Object.entries(vars).map(([k, v]) =>
      `        - name: ${k}\n          value: ${JSON.stringify(v)}`
    )
      .join("\n")
  }
  triggers:
    - name: issues
      connection: ${conn}
      event_type: issues
      call: main.py:on_issue
${extra}`;

before(async () => {
  gh = await new FakeGitHub({ [PAT]: "octocat" }, { appId: "1001", publicKeyPem: keys.publicKey })
    .start();
  scope.after(() => gh.close());
  d = new TestDaemon(tempHome(scope), { POUNCE_GITHUB_API_URL: gh.apiUrl });
  scope.after(() => d.kill());
  await d.start(["--log-level", "debug"]);
  const pat = await d.cli([
    "deploy",
    "--manifest",
    writeProject(scope, {
      "autokitteh.yaml": manifest(
        "gh_pat",
        "gh",
        { pat: PAT, pat_secret: PAT_SECRET },
        `    - name: slash
      connection: gh
      event_type: slash_command
      filter: data.command.name == "deploy"
      call: main.py:on_slash
`,
      ),
      "main.py": handler,
    }),
  ]);
  assert.equal(pat.code, 0, pat.stderr);
  const m = pat.stdout.match(/connection "gh" webhook_url: \S+(\/github\/webhook\/\w+)/);
  assert.ok(m, pat.stdout);
  patPath = m[1];
  const app = await d.cli([
    "deploy",
    "--manifest",
    writeProject(scope, {
      "autokitteh.yaml": manifest("gh_app", "app", {
        app_id: "1001",
        install_id: "42",
        private_key: keys.privateKey,
        webhook_secret: APP_SECRET,
      }),
      "main.py": handler,
    }),
  ]);
  assert.equal(app.code, 0, app.stderr);
});

function deliver(path: string, event: string, payload: unknown, opts: {
  secret?: string;
  algorithm?: "sha256" | "sha1";
  appId?: string;
  headers?: Record<string, string>;
} = {}) {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": crypto.randomUUID(),
    ...opts.headers,
  };
  if (opts.secret) {
    const algorithm = opts.algorithm ?? "sha256";
    headers[algorithm === "sha256" ? "x-hub-signature-256" : "x-hub-signature"] = githubSignature(
      opts.secret,
      body,
      algorithm,
    );
  }
  if (opts.appId) headers["x-github-hook-installation-target-id"] = opts.appId;
  return fetch(d.url + path, { method: "POST", headers, body });
}

const issue = (title: string, extra: Record<string, unknown> = {}) => ({
  action: "opened",
  issue: { number: 1, title, body: "no commands here" },
  repository: { full_name: "o/r" },
  sender: { login: "octocat" },
  ...extra,
});

const { sessions, events, finished } = projectReads(() => d);

test("unsigned and wrongly signed deliveries are refused and store nothing", async () => {
  const payload = issue("nope");
  assert.equal((await deliver(patPath, "issues", payload)).status, 400, "unsigned");
  assert.equal((await deliver(patPath, "issues", payload, { secret: "guess" })).status, 403);
  assert.equal(
    (await deliver(patPath, "issues", payload, { secret: APP_SECRET })).status,
    403,
    "another connection's secret",
  );
  const tampered = await fetch(d.url + patPath, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "issues",
      "x-hub-signature-256": githubSignature(PAT_SECRET, JSON.stringify(payload)),
    },
    body: JSON.stringify(issue("changed")),
  });
  assert.equal(tampered.status, 403, "tampered body");
  assert.equal(
    (await deliver(patPath, "issues", payload, {
      secret: PAT_SECRET,
      headers: { "x-github-event": "" },
    }))
      .status,
    400,
    "no event type",
  );
  assert.equal(
    (await deliver("/github/webhook/unknownkey", "issues", payload, { secret: PAT_SECRET })).status,
    200,
    "unknown PAT key: acknowledged, ignored",
  );
  const app = (id: number) => issue("app", { installation: { id } });
  assert.equal(
    (await deliver("/github/webhook", "issues", app(42), { secret: PAT_SECRET, appId: "1001" }))
      .status,
    403,
  );
  assert.equal(
    (await deliver("/github/webhook", "issues", app(43), { secret: APP_SECRET, appId: "1001" }))
      .status,
    200,
    "another installation: acknowledged, ignored",
  );
  assert.deepEqual(await events("gh_pat"), []);
  assert.deepEqual(await events("gh_app"), []);
});

test("an issue event on a PAT webhook starts the session (sha1 signatures too)", async () => {
  const res = await deliver(patPath, "issues", issue("Broken build"), { secret: PAT_SECRET });
  assert.equal(res.status, 200);
  assert.deepEqual(await finished("gh_pat", "main.py:on_issue", 1), [
    "issue issues opened Broken build 0",
  ]);
  const sha1 = await deliver(patPath, "issues", issue("Old signature"), {
    secret: PAT_SECRET,
    algorithm: "sha1",
  });
  assert.equal(sha1.status, 200);
  assert.deepEqual(await finished("gh_pat", "main.py:on_issue", 2), [
    "issue issues opened Old signature 0",
  ]);
  const [stored] = await events("gh_pat");
  const data = stored.data as Record<string, unknown>;
  assert.equal(stored.event_type, "issues");
  assert.deepEqual(data.repository, { full_name: "o/r" });
  assert.deepEqual(data.slash_commands, []);
});

test("a GitHub App delivery is routed by app id and installation id", async () => {
  const payload = issue("From the app", { installation: { id: 42 } });
  const res = await deliver("/github/webhook", "issues", payload, {
    secret: APP_SECRET,
    appId: "1001",
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await finished("gh_app", "main.py:on_issue", 1), [
    "issue issues opened From the app 0",
  ]);
  assert.equal((await sessions("gh_pat")).length, 2);
});

test("slash commands in a comment become slash_command events", async () => {
  const body = [
    "Please:",
    "/deploy prod --force",
    "```",
    "/deploy not-in-a-fence",
    "```",
    "/label bug",
    "  /indented is not a command",
  ].join("\n");
  const res = await deliver(patPath, "issue_comment", {
    action: "created",
    issue: { number: 1, title: "t" },
    comment: { id: 9, body },
  }, { secret: PAT_SECRET });
  assert.equal(res.status, 200);
  assert.deepEqual(await finished("gh_pat", "main.py:on_slash", 1), [
    "slash deploy prod --force issue_comment",
    "raw /deploy prod --force",
  ]);
  const all = await events("gh_pat");
  const comment = all.find((e) => e.event_type === "issue_comment")!;
  assert.deepEqual((comment.data as { slash_commands: unknown }).slash_commands, [
    { name: "deploy", args: ["prod", "--force"], raw: "/deploy prod --force" },
    { name: "label", args: ["bug"], raw: "/label bug" },
  ]);
  assert.equal(all.filter((e) => e.event_type === "slash_command").length, 2);
});

test("connection test: a PAT calls the API, an App gets an installation token", async () => {
  const pat = await d.cli(["connection", "test", "gh_pat/gh"]);
  assert.equal(pat.code, 0, pat.stderr);
  assert.match(pat.stdout, /status: ok\nmessage: authenticated as octocat/);
  const app = await d.cli(["connection", "test", "app", "--project", "gh_app"]);
  assert.equal(app.code, 0, app.stderr);
  assert.match(app.stdout, /status: ok\nmessage: app 1001: got a token for installation 42/);
  assert.deepEqual(gh.tokenRequests, [{ installId: "42", issuer: "1001" }]);
  const got = await d.cli(["connection", "get", "gh_pat/gh"]);
  assert.match(got.stdout, /webhook_url: http:\/\/127\.0\.0\.1:\d+\/github\/webhook\/\w+/);
  assert.match(got.stdout, /pat=\*{8}/);
  assert.ok(!got.stdout.includes(PAT));
  for (const secret of [PAT, PAT_SECRET, APP_SECRET, "PRIVATE KEY"]) {
    assert.ok(!d.stderr.includes(secret), `${secret} in the daemon's log`);
  }
});

test("a replayed delivery is refused whatever its unsigned headers say, and starts nothing", async () => {
  const before = (await events("gh_pat")).length;
  const ran = (await sessions("gh_pat")).filter((s) => s.entrypoint === "main.py:on_issue").length;
  const payload = issue("Only once");
  assert.equal((await deliver(patPath, "issues", payload, { secret: PAT_SECRET })).status, 200);
  // The same signed body: deliver() sends a new X-GitHub-Delivery each time.
  const again = (event: string, opts: Parameters<typeof deliver>[3] = {}) =>
    deliver(patPath, event, payload, { secret: PAT_SECRET, ...opts }).then((r) => r.status);
  assert.equal(await again("issues"), 409, "a new delivery id");
  assert.equal(await again("issue_comment"), 409, "another event type");
  assert.equal(await again("issues", { algorithm: "sha1" }), 409, "the sha1 signature only");
  // Copies sent together: one is taken.
  const raced = issue("Raced");
  const statuses = await Promise.all(
    Array.from(
      { length: 6 },
      () => deliver(patPath, "issues", raced, { secret: PAT_SECRET }).then((r) => r.status),
    ),
  );
  assert.deepEqual(statuses.sort(), [200, 409, 409, 409, 409, 409]);
  await finished("gh_pat", "main.py:on_issue", ran + 2);
  const stored = await events("gh_pat");
  assert.equal(stored.length, before + 2);
  assert.deepEqual(stored.slice(0, 2).map((e) => e.event_type), ["issues", "issues"]);
});

test("a wrongly signed body is refused before it is parsed", async () => {
  const post = (path: string, headers: Record<string, string> = {}) =>
    fetch(d.url + path, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-hub-signature-256": githubSignature("guess", "{not json"),
        ...headers,
      },
      body: "{not json",
    });
  assert.equal((await post(patPath)).status, 403);
  assert.equal(
    (await post("/github/webhook", { "x-github-hook-installation-target-id": "1001" })).status,
    403,
  );
});

const bigHeaders = (length: number) => ({
  "content-type": "application/json",
  "content-length": String(length),
  "x-github-event": "issues",
  "x-hub-signature-256": githubSignature("guess", "x"),
});

test("a body over 25 MB is refused from its Content-Length, before it is sent", async () => {
  const post = holdPost(d.url + patPath, bigHeaders((25 << 20) + 1));
  try {
    assert.equal(await post.status, 413);
  } finally {
    post.destroy();
  }
});

test("unverified bodies held at once are bounded: past the bound, 503", async () => {
  const posts = [0, 1, 2].map(() => holdPost(d.url + patPath, bigHeaders(25 << 20)));
  const mb = new Uint8Array(1 << 20).fill(0x20);
  try {
    for (const post of posts) {
      for (let i = 0; i < 24; i++) {
        const answered = await Promise.race([post.write(mb).then(() => false), post.status]);
        if (answered) break;
      }
    }
    const [first, second, third] = await Promise.all(
      posts.map((p) => Promise.race([p.status, new Promise((r) => setTimeout(r, 2000, 0))])),
    );
    assert.deepEqual([first, second], [0, 0], "the first two are still being read");
    assert.equal(third, 503);
  } finally {
    for (const p of posts) p.destroy();
  }
  // What they held is let go: a delivery is read again.
  await waitFor(
    "a delivery read again",
    async () =>
      (await deliver(patPath, "ping", { zen: crypto.randomUUID() }, { secret: PAT_SECRET }))
        .status === 200,
  );
});

test("parallel large unsigned posts keep the daemon's memory bounded", async (t) => {
  const pid = d.proc!.pid!;
  const size = (25 << 20) - 64;
  const body = Buffer.alloc(size, 0x61);
  body.write('{"zen":"', 0);
  body.write('"}', size - 2);
  const rss = memoryOf(pid, "VmRSS");
  resetPeak(pid);
  const statuses = await Promise.all(Array.from({ length: 8 }, () =>
    fetch(d.url + patPath, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-hub-signature-256": githubSignature("guess", "x"),
      },
      body,
    }).then(async (r) => (await r.body?.cancel(), r.status), () => 0)));
  const grew = memoryOf(pid, "VmHWM") - rss;
  t.diagnostic(`peak: +${Math.round(grew / 2 ** 20)} MB; statuses ${statuses.join(" ")}`);
  for (const s of statuses) assert.ok(s === 403 || s === 503, `status ${s}`);
  assert.ok(statuses.includes(403), "some were read and checked");
  assert.ok(grew < 150 << 20, `the daemon grew by ${Math.round(grew / 2 ** 20)} MB`);
});
