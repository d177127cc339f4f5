// The single binary alone: copied away from the source tree and run from an empty directory
// with a PATH that holds python3 and sh and no node, it serves the README's quickstart and
// the web UI, and writes the py-sdk and libSQL's addon to the data dir once.
// Needs `npm run build` (scripts/provision.sh builds it when missing or stale).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { VERSION } from "../../src/version.ts";
import { ROOT, runCli, sleep, TestDaemon, webhookPath } from "../helpers/daemon.ts";

const BIN = join(ROOT, "dist/pounce");

test("the binary alone runs the quickstart with no node on PATH", {
  skip: process.platform === "linux" && process.arch === "x64"
    ? false
    : "dist/pounce is built for linux-x64 only",
}, async (t) => {
  // Never a skip where it can be built: npm test builds it when missing or stale.
  assert.ok(
    existsSync(BIN),
    `${BIN} is not built: run scripts/provision.sh binary (npm test does)`,
  );
  const dir = mkdtempSync(join(tmpdir(), "pounce-bin-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, "bin");
  const work = join(dir, "work");
  const home = join(dir, "home");
  mkdirSync(bin);
  mkdirSync(work);
  const pounce = join(bin, "pounce");
  copyFileSync(BIN, pounce);
  chmodSync(pounce, 0o755);
  const python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], {
    encoding: "utf8",
  }).trim();
  symlinkSync(python, join(bin, "python3"));
  symlinkSync("/bin/sh", join(bin, "sh"));
  // Empty values count as unset: nothing from the test's own environment leaks in.
  const env = {
    PATH: bin,
    NODE_OPTIONS: "",
    NODE_PATH: "",
    POUNCE_SDK_DIR: "",
    POUNCE_PYTHON: "",
    AK_WORKER_PYTHON: "",
  };
  const noNode = spawnSync(join(bin, "sh"), ["-c", "command -v node"], { env });
  assert.notEqual(noNode.status, 0, "node must not be on the test's PATH");

  const version = await runCli(["version", "--json"], { ...env, HOME: home }, [pounce], work);
  assert.equal(version.code, 0, version.stderr);
  const info = JSON.parse(version.stdout);
  assert.equal(info.version, VERSION);
  assert.match(info.runtime, /^node \S+ \(single executable\)$/);
  assert.match(info.commit, /^([0-9a-f]{40}(-dirty)?|unknown)$/);

  const d = new TestDaemon(home, env, [pounce], work);
  t.after(() => d.kill());
  await d.start();
  const project = join(dir, "project");
  cpSync(join(ROOT, "examples/simple"), project, { recursive: true });
  const deployed = await d.cli(["deploy", "--manifest", join(project, "autokitteh.yaml")]);
  assert.equal(deployed.code, 0, deployed.stderr);
  const path = webhookPath(deployed.stdout, "events");

  await fire(d, path);
  const prints = await d.cli(["session", "prints", "py_simple"]);
  assert.equal(prints.code, 0, prints.stderr);
  const lines = prints.stdout.trim().split("\n");
  assert.equal(lines[0], `INFO: simple: HOME: ${process.env.HOME}`);
  assert.equal(lines[1], "INFO: simple: USER: Garfield");
  assert.equal(lines[4], "REQUEST: {'user': 'joe', 'event': 'login'}");
  const list = await d.cli(["session", "list", "py_simple"]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /state=completed/);
  // The web UI's files are inside too.
  const page = await fetch(d.url + "/");
  assert.equal(page.status, 200);
  assert.equal(await page.text(), readFileSync(join(ROOT, "src/server/ui/index.html"), "utf8"));

  // The py-sdk came out of the binary into the data dir, keyed by version and content.
  const sdks = readdirSync(join(home, "py-sdk"));
  assert.equal(sdks.length, 1);
  assert.match(sdks[0], new RegExp(`^${VERSION.replaceAll(".", "\\.")}-[0-9a-f]{16}$`));
  const runner = join(home, "py-sdk", sdks[0], "pounce", "runner", "__main__.py");
  assert.ok(existsSync(runner));
  const natives = readdirSync(join(home, "native"));
  assert.equal(natives.length, 1);
  const before = [statSync(runner).ino, statSync(join(home, "native", natives[0])).ino];

  // A restart reuses what the first start wrote.
  await d.stop();
  await d.start();
  await fire(d, path);
  assert.deepEqual(readdirSync(join(home, "py-sdk")), sdks);
  assert.deepEqual(readdirSync(join(home, "native")), natives);
  assert.deepEqual(
    [statSync(runner).ino, statSync(join(home, "native", natives[0])).ino],
    before,
  );

  // Tracing's packages load in the binary as they do from source: the request is
  // answered, and its span reaches the collector.
  await d.stop();
  const spans: string[] = [];
  const collector = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      for (const rs of JSON.parse(body).resourceSpans ?? []) {
        for (const ss of rs.scopeSpans) {
          spans.push(...ss.spans.map((x: { name: string }) => x.name));
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => collector.close(resolve)));
  const traced = new TestDaemon(
    home,
    {
      ...env,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: "50",
    },
    [pounce],
    work,
  );
  t.after(() => traced.kill());
  await traced.start();
  await fire(traced, path);
  for (let i = 0; i < 400 && !spans.includes("session"); i++) await sleep(50);
  assert.ok(spans.includes("POST /webhooks/{slug}"), `spans: ${spans.join(", ")}`);
});

// Posts the quickstart's event and waits for the session it starts to complete.
async function fire(d: TestDaemon, path: string): Promise<void> {
  const res = await fetch(d.url + path, {
    method: "POST",
    body: JSON.stringify({ user: "joe", event: "login" }),
  });
  assert.equal(res.status, 202);
  const event = res.headers.get("AutoKitteh-Event-ID");
  for (let i = 0;; i++) {
    const { sessions } = await d.api<{ sessions: { session_id: string }[] }>(
      `/api/sessions?event=${event}`,
    );
    if (sessions.length) {
      const session = await d.waitSession(sessions[0].session_id);
      assert.equal(session.state, "completed", session.error ?? "");
      return;
    }
    if (i > 400) throw new Error(`no session for event ${event}`);
    await sleep(50);
  }
}
