// The HTTP server's edges: Host names (DNS rebinding), bodies nested too deep, sync answers
// with headers HTTP cannot carry, the cap on connections, and clients that hang up.
import assert from "node:assert/strict";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { before, test } from "node:test";
import { WebSocket } from "ws";
import { waitFor } from "../helpers/fakes.ts";
import {
  daemonFor,
  fileScope,
  sleep,
  tempHome,
  TestDaemon,
  webhookPath,
  writeProject,
} from "../helpers/daemon.ts";

const scope = fileScope();

const HANDLERS = `import autokitteh

def on_hook(event):
    print("json", event.data.body.json)

def bad_name(event):
    autokitteh.http_outcome(200, body="hi", headers={"Bad Name": "x"})

def bad_value(event):
    autokitteh.http_outcome(200, body="hi", headers={"X-Bad": "a\\r\\nInjected: yes"})

def bad_status(event):
    autokitteh.http_outcome(1000, body="hi")
`;

const hook = (name: string, call: string, sync = false) =>
  `    - name: ${name}\n      webhook: {}\n      call: main.py:${call}\n` +
  (sync ? "      is_sync: true\n" : "");

const MANIFEST = `version: v2
project:
  name: edges
  triggers:
${hook("hook", "on_hook")}${hook("bad_name", "bad_name", true)}${
  hook("bad_value", "bad_value", true)
}${hook("bad_status", "bad_status", true)}`;

let d: TestDaemon;
let deployOut = "";

before(async () => {
  d = new TestDaemon(tempHome(scope));
  scope.after(() => d.kill());
  await d.start([
    "--allowed-hosts",
    "pounce.example.com,ops.example.org:8443",
    "--log-level",
    "debug",
    "--body-timeout",
    "1",
  ]);
  const res = await d.cli([
    "deploy",
    "--manifest",
    writeProject(scope, { "autokitteh.yaml": MANIFEST, "main.py": HANDLERS }),
  ]);
  assert.equal(res.code, 0, res.stderr);
  deployOut = res.stdout;
});

// A request with a Host header of our choosing (fetch() does not let one set it).
function withHost(
  path: string,
  host: string,
  opts: { method?: string; token?: boolean } = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(d.url);
  return new Promise((resolve, reject) => {
    const req = request({
      hostname,
      port,
      path,
      method: opts.method ?? "GET",
      headers: { host, ...(opts.token ? { authorization: `Bearer ${d.token}` } : {}) },
    }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("the API and the UI answer only to known host names; webhooks to any", async () => {
  const port = new URL(d.url).port;
  for (
    const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      "10.1.2.3",
      "pounce.example.com",
      `POUNCE.example.com:${port}`,
      "ops.example.org:8443",
    ]
  ) {
    assert.equal((await withHost("/api/projects", host, { token: true })).status, 200, host);
    assert.equal((await withHost("/", host)).status, 200, host);
  }
  for (
    const host of [`evil.example:${port}`, "ops.example.org:9999", "pounce.example.com.evil.io"]
  ) {
    const api = await withHost("/api/projects", host, { token: true });
    assert.equal(api.status, 403, host);
    assert.match(api.body, /--allowed-hosts/);
    assert.equal((await withHost("/", host)).status, 403, host);
    assert.equal((await withHost("/ui/app.js", host)).status, 403, host);
  }
  // The tail's WebSocket too.
  const refused = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${d.url.replace("http", "ws")}/api/ws?project=edges`, {
      headers: { authorization: `Bearer ${d.token}`, host: `evil.example:${port}` },
    });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode!));
    ws.on("open", () => {
      ws.close();
      resolve(101);
    });
    ws.on("error", () => {});
  });
  assert.equal(refused, 403);
  // Webhooks come through proxies and tunnels under any name.
  const path = webhookPath(deployOut, "hook");
  assert.equal((await withHost(path, "tunnel.example.net", { method: "POST" })).status, 202);
  assert.equal((await withHost("/healthz", "tunnel.example.net")).status, 200);
});

test("a body nested too deep is refused with 400 and kept as text, not run", async () => {
  const depth = 100_000;
  const body = "[".repeat(depth) + "]".repeat(depth);
  const res = await fetch(d.url + webhookPath(deployOut, "hook"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const answer = await res.json() as { error: string; event_id: string };
  assert.equal(res.status, 400, JSON.stringify(answer));
  assert.match(answer.error, /nested deeper than 128 levels/);
  const id = res.headers.get("AutoKitteh-Event-ID");
  assert.ok(id);
  assert.equal(answer.event_id, id);
  const { event } = await d.api<
    { event: { data: { body: { text: string; json: unknown } } } }
  >(`/api/events/${id}`);
  assert.equal(event.data.body.text, body);
  assert.equal(event.data.body.json, null);
  const { sessions } = await d.api<{ sessions: unknown[] }>(`/api/sessions?event=${id}`);
  assert.deepEqual(sessions, []);
  // One level over the limit is refused; at the limit is fine, in Python too.
  const over = await fetch(d.url + webhookPath(deployOut, "hook"), {
    method: "POST",
    body: "[".repeat(129) + "]".repeat(129),
  });
  assert.equal(over.status, 400);
  const ok = await fetch(d.url + webhookPath(deployOut, "hook"), {
    method: "POST",
    body: "[".repeat(128) + "]".repeat(128),
  });
  assert.equal(ok.status, 202);
  const eventId = ok.headers.get("AutoKitteh-Event-ID");
  const session = await waitFor("the session", async () => {
    const { sessions } = await d.api<{ sessions: { session_id: string }[] }>(
      `/api/sessions?event=${eventId}`,
    );
    return sessions[0]?.session_id;
  });
  const s = await d.waitSession(session);
  assert.equal(s.state, "completed", s.error ?? "");
});

test("a sync answer HTTP cannot carry gets 502 at once, naming what is wrong", async () => {
  for (
    const [trigger, why] of [
      ["bad_name", /header "Bad Name"/],
      ["bad_value", /header "X-Bad"/],
      // The SDK refuses the status: the session fails before it answers.
      ["bad_status", /the session ended \(error\) without an HTTP answer/],
    ] as const
  ) {
    const res = await fetch(d.url + webhookPath(deployOut, trigger), { method: "POST" });
    const { error } = await res.json() as { error: string };
    assert.equal(res.status, 502, `${trigger}: ${error}`);
    assert.match(error, why);
    assert.equal(res.headers.get("injected"), null);
  }
  // The daemon still serves.
  assert.equal((await fetch(d.url + "/healthz")).status, 200);
});

// What the daemon answers (if anything) on a raw connection before it closes or `ms` pass.
function rawExchange(
  send: (sock: Socket) => void,
  ms: number,
): Promise<{ answer: string; closed: boolean }> {
  const { hostname, port } = new URL(d.url);
  return new Promise((resolve) => {
    const sock = connect(Number(port), hostname);
    let answer = "";
    sock.setEncoding("utf8");
    sock.on("data", (chunk) => (answer += chunk));
    sock.on("error", () => {});
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ answer, closed: false });
    }, ms);
    sock.on("close", () => {
      clearTimeout(timer);
      resolve({ answer, closed: true });
    });
    sock.on("connect", () => send(sock));
  });
}

// A byte every 200 ms, never all of it.
function drip(head: string): (sock: Socket) => void {
  return (sock) => {
    sock.write(head);
    const timer = setInterval(() => sock.writable && sock.write("a"), 200);
    sock.on("close", () => clearInterval(timer));
  };
}

test("a webhook body that trickles in gets 408 at --body-timeout; the API keeps its timeout", async () => {
  const path = webhookPath(deployOut, "hook");
  const hookDrip = await rawExchange(
    drip(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n`),
    20_000,
  );
  assert.ok(hookDrip.closed);
  assert.match(hookDrip.answer, /^HTTP\/1\.1 408/);
  assert.match(hookDrip.answer, /not received within 1 s/);
  // A deploy may be large and the link slow: the request timeout (120 s) holds there.
  const apiDrip = await rawExchange(
    drip(
      `POST /api/deploy HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${d.token}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
    ),
    3_000,
  );
  assert.deepEqual(apiDrip, { answer: "", closed: false });
});

test("a client that hangs up mid-body is logged at debug, not as an error", async () => {
  const path = webhookPath(deployOut, "hook");
  const { hostname, port } = new URL(d.url);
  const sock = connect(Number(port), hostname);
  sock.on("error", () => {});
  await new Promise((r) => sock.once("connect", r));
  sock.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc`);
  await sleep(200);
  sock.destroy();
  await waitFor("the debug line", () => /DEBUG request aborted/.test(d.stderr) || undefined);
  assert.doesNotMatch(d.stderr, / ERROR /);
});

// Sockets that stay open until closed: a request whose headers never end.
async function holdConnection(url: string): Promise<{ sock: Socket; closed: Promise<void> }> {
  const { hostname, port } = new URL(url);
  const sock = connect(Number(port), hostname);
  sock.on("error", () => {});
  const closed = new Promise<void>((r) => sock.once("close", () => r()));
  await new Promise((r) => sock.once("connect", r));
  sock.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  return { sock, closed };
}

test("connections beyond --max-connections are closed at once; the others are served", async (t) => {
  const capped = await daemonFor(t, {}, ["--max-connections", "4", "--header-timeout", "60"]);
  const held = [];
  for (let i = 0; i < 4; i++) held.push(await holdConnection(capped.url));
  const extra = await holdConnection(capped.url);
  // Closed at once, not at the header timeout (60 s).
  const closedFirst = await Promise.race([
    extra.closed.then(() => true),
    sleep(10_000).then(() => false),
  ]);
  assert.ok(closedFirst, "the connection over the cap is closed");
  for (const h of held) assert.equal(h.sock.destroyed, false);
  // Once one is gone, a new client is served.
  held[0].sock.destroy();
  await held[0].closed;
  await waitFor("a served request", async () => {
    try {
      return (await fetch(capped.url + "/healthz")).status === 200 || undefined;
    } catch {
      return undefined;
    }
  });
  for (const h of held.slice(1)) h.sock.destroy();
  extra.sock.destroy();
});

test("the UI's cookie: got with the token, used with its header, on the tail from the UI's origin only", async () => {
  const signIn = (token: string, headers: Record<string, string> = { "x-pounce-ui": "1" }) =>
    fetch(d.url + "/ui/sign-in", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ token }),
    });
  assert.equal((await signIn("wrong")).status, 401);
  // A form of another site cannot add the header.
  assert.equal((await signIn(d.token, {})).status, 403);
  const res = await signIn(d.token);
  assert.equal(res.status, 204);
  const setCookie = res.headers.get("set-cookie")!;
  assert.match(setCookie, /HttpOnly/i);
  assert.match(setCookie, /SameSite=Strict/i);
  assert.ok(!setCookie.includes(d.token));
  const cookie = setCookie.split(";")[0];

  const api = (headers: Record<string, string>) =>
    fetch(d.url + "/api/projects", { headers: { cookie, ...headers } });
  assert.equal((await api({})).status, 401);
  assert.equal((await api({ "x-pounce-ui": "1" })).status, 200);
  const forged = cookie.replace(/=(\d+)\./, (_, exp) => `=${Number(exp) + 1}.`);
  assert.equal(
    (await fetch(d.url + "/api/projects", { headers: { cookie: forged, "x-pounce-ui": "1" } }))
      .status,
    401,
  );

  const tail = (origin: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${d.url.replace("http", "ws")}/api/ws?project=edges`, {
        headers: { cookie, origin },
      });
      ws.on("unexpected-response", (_req, r) => resolve(r.statusCode!));
      ws.on("open", () => {
        ws.close();
        resolve(101);
      });
      ws.on("error", () => {});
    });
  assert.equal(await tail(d.url), 101);
  // Another site's page (or another port of this host) opening the tail with the cookie.
  assert.equal(await tail("http://evil.example"), 401);
  assert.equal(await tail(`http://127.0.0.1:${Number(new URL(d.url).port) + 1}`), 401);
  assert.equal(await tail("null"), 401);
});
