// The web UI's pages in headless Chromium against a real daemon: signing in with a one-time
// link (once, not twice), a durable session's timeline (event, activity, sleep, wait,
// prints) updating live to its final state and return value, the actions (stop, restart,
// start by hand, test event, redispatch), lists with filters and paging past 100, why an
// event started nothing, and the project page. Screenshots go to /tmp/ui-shots/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { browserFor } from "../helpers/browser.ts";
import { daemonFor, webhookPath, writeProject } from "../helpers/daemon.ts";

const SHOTS = "/tmp/ui-shots";

const MANIFEST = `version: v2
project:
  name: pages
  vars:
    - name: PLAIN
      value: "plain-value"
    - name: API_KEY
      value: "s3cret-value-xyz"
      secret: true
  triggers:
    - name: hook
      webhook: {}
      event_type: post
      is_durable: true
      call: main.py:flow
    - name: feed
      webhook: {}
      event_type: post
    - name: picky
      webhook: {}
      event_type: put
      call: main.py:trivial
    - name: filtered
      webhook: {}
      filter: "data.body.json.go == true"
      call: main.py:trivial
`;

const HANDLER = `import autokitteh

@autokitteh.activity
def double(x):
    return x * 2

def flow(event):
    print("flow started", event.data.body.json["n"], "needle")
    y = double(event.data.body.json["n"])
    print("doubled", y)
    autokitteh.sleep(0.4)
    sub = autokitteh.subscribe("feed", "data.body.json.go == true")
    got = autokitteh.next_event(sub)
    print("got go", got.body.json["go"])
    return {"doubled": y}

def trivial(*args, **kwargs):
    print("trivial run")
    return 1

def sleepy(*args, **kwargs):
    print("sleepy starts")
    autokitteh.sleep(600)
`;

// Console errors and uncaught exceptions of every page of a context.
function watchErrors(context: BrowserContext): string[] {
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on("page", watch);
  return errors;
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

// Waits for a text; on a timeout, the page's text is in the failure.
async function see(page: Page, text: string): Promise<void> {
  try {
    await page.getByText(text).first().waitFor();
  } catch (err) {
    const shown = await page.locator("main").innerText().catch(() => "?");
    throw new Error(`${(err as Error).message}\nat ${page.url()}:\n${shown.slice(0, 2000)}`);
  }
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

test("web UI pages: sign-in link, live timeline, actions, lists, project page", async (t) => {
  const d = await daemonFor(t);
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, {
      "autokitteh.yaml": MANIFEST,
      "main.py": HANDLER,
    }),
  ]);
  assert.equal(out.code, 0, out.stderr);
  const hook = (name: string) => d.url + webhookPath(out.stdout, name);

  // `pounce ui --help` shows its options and mints nothing; `pounce ui` prints a link.
  const help = await d.cli(["ui", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /usage: pounce ui.*--no-browser/s);
  const ui = await d.cli(["ui", "--no-browser", "--json"]);
  assert.equal(ui.code, 0, ui.stderr);
  const { sign_in: link } = JSON.parse(ui.stdout) as { sign_in: string };
  assert.match(link, new RegExp(`^${d.url}/#/sign-in/[\\w-]{20,}$`));
  assert.ok(!link.includes(d.token), "the token is in the link");

  const browser = await browserFor(t);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(context);
  const page = await context.newPage();

  // The link signs in, and leaves the address bar without its code.
  await page.goto(link);
  await page.getByRole("link", { name: "pages" }).waitFor();
  assert.equal(new URL(page.url()).hash, "#/");
  assert.equal((await context.cookies()).length, 1);

  // Twice: refused, in another browser, which is not signed in and is told why, with the
  // real token file in the hint.
  const other = await browser.newContext();
  const otherErrors = watchErrors(other);
  const second = await other.newPage();
  await second.goto(link);
  await second.getByText("This sign-in link was used already or has expired").waitFor();
  assert.equal(await second.getByTestId("token-file").textContent(), join(d.home, "token"));
  assert.deepEqual(await other.cookies(), []);
  // The refusal itself is the one error that page may log (a 401 from /ui/sign-in).
  assert.ok(
    otherErrors.every((e) => /401/.test(e)) && otherErrors.length <= 1,
    otherErrors.join("\n"),
  );
  // A refused token is not kept in the field.
  await second.getByLabel("API token").fill("wrong-token");
  await second.getByRole("button", { name: "Sign in" }).click();
  await second.getByText("The daemon refused the token.").waitFor();
  assert.equal(await second.getByLabel("API token").inputValue(), "");
  await other.close();

  // A durable session: event, activity, prints, sleep, then a wait on `feed`.
  const fired = await post(hook("hook"), { n: 21 });
  assert.equal(fired.status, 202);
  const eventId = fired.headers.get("AutoKitteh-Event-ID")!;
  await page.goto(`${d.url}/#/events/${eventId}`);
  await page.locator("td a[href^='#/sessions/ses_']").first().click();
  await page.getByRole("heading", { name: /Session ses_/ }).waitFor();
  await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
  const timeline = page.getByTestId("timeline");
  const row = (kind: string, text: string | RegExp) =>
    timeline.locator(`tr[data-kind="${kind}"]`).filter({ hasText: text });
  await row("wait", "waiting for an event on `feed` (filter data.body.json.go == true)").waitFor();
  await row("event", "started by event post on `hook`").waitFor();
  await row("activity", "double(21) → 42").waitFor();
  await row("sleep", /sleeping until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/).waitFor();
  await row("print", "flow started 21 needle").waitFor();
  await row("print", "doubled 42").waitFor();
  // Start, end and duration to the millisecond; the sleep's took about its 0.4 s.
  const sleepCells = await row("sleep", "sleeping").locator("td").allTextContents();
  assert.match(sleepCells[0], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
  assert.match(sleepCells[1], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
  assert.match(sleepCells[2], /^\d+(\.\d+)? (ms|s)$/);
  assert.match(await row("wait", "waiting").locator("td").nth(2).textContent() ?? "", /ongoing/);
  // Names, not ids, as links.
  await page.locator("dd a[href='#/projects/pages']").filter({ hasText: "pages" }).waitFor();
  await page.locator("dd a").filter({ hasText: /^hook$/ }).waitFor();
  assert.equal(await page.locator("dd .state").textContent(), "running");
  await shot(page, "session-waiting-wide");

  // The event it waits for arrives: the final state and return value come live.
  assert.equal((await post(hook("feed"), { go: false })).status, 202);
  const go = await post(hook("feed"), { go: true });
  const goId = go.headers.get("AutoKitteh-Event-ID")!;
  await row("wait", `→ got ${goId}`).waitFor();
  await row("print", "got go True").waitFor();
  await row("end", "completed").waitFor();
  await page.locator("dd .state-completed").waitFor();
  assert.equal(await page.getByTestId("return-value").textContent(), "{'doubled': 42}");
  await page.getByText("ended: completed").waitFor();
  assert.equal(await page.evaluate(() => "notReloaded" in globalThis), true);
  await shot(page, "session-completed-wide");
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, "session-completed-narrow");
  const overflow = await page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth
  );
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px on a narrow screen`);
  await page.setViewportSize({ width: 1280, height: 900 });

  // Restart: a new session with the same entry point and inputs.
  const flowId = new URL(page.url()).hash.split("/")[2];
  await page.getByRole("button", { name: "Restart" }).click();
  await page.waitForURL((u) => /#\/sessions\/ses_/.test(u.hash) && !u.hash.includes(flowId));
  await page.locator("dd code").filter({ hasText: "main.py:flow" }).waitFor();
  await row("print", "flow started 21 needle").waitFor();
  // Stop it while it waits.
  await row("wait", "waiting for an event").waitFor();
  await page.getByRole("button", { name: "Stop" }).click();
  await page.locator("dd .state-stopped").waitFor();
  await row("stop", "stop requested").waitFor();

  // Why events started nothing: the event type, the filter, a trigger without a handler.
  const why = async (url: string, body: unknown, text: string) => {
    const res = await post(url, body);
    const id = res.headers.get("AutoKitteh-Event-ID")!;
    await page.goto(`${d.url}/#/events/${id}`);
    await page.getByTestId("why-none").getByText(text).waitFor();
    return id;
  };
  await why(
    hook("picky"),
    {},
    'no trigger matched the event type: trigger "picky" takes "put", the event is "post"',
  );
  const filteredOut = await why(
    hook("filtered"),
    { go: false },
    'the filter of trigger "filtered" did not match: data.body.json.go == true',
  );
  await why(hook("feed"), { go: 1 }, 'trigger "feed" calls no handler');
  await shot(page, "event-why-none-wide");
  // Redispatch the filtered one: a new event, which starts nothing either.
  await page.goto(`${d.url}/#/events/${filteredOut}`);
  await page.getByRole("heading", { name: `Event ${filteredOut}` }).waitFor();
  await page.getByRole("button", { name: "Redispatch" }).click();
  await page.getByText(/new event evt_\w+, 0 session\(s\)/).waitFor();

  // The project page: full webhook URLs with a copy button, vars masked, counts.
  await page.goto(`${d.url}/#/projects/pages`);
  await page.getByRole("heading", { name: /Project pages/ }).waitFor();
  const urls = await page.locator(".webhook-url").allTextContents();
  assert.ok(urls.includes(hook("hook")), urls.join("\n"));
  await page.getByRole("button", { name: "Copy" }).first().waitFor();
  await page.getByText("plain-value").waitFor();
  assert.ok(!(await page.content()).includes("s3cret-value-xyz"), "a secret var is shown");
  await page.getByTestId("counts").getByText("1 completed").waitFor();
  // A test event to the filtered trigger, from the page.
  const filteredRow = page.locator("tr").filter({ hasText: "filtered" });
  await filteredRow.getByText("send a test event").click();
  await filteredRow.getByLabel("Test event body for filtered").fill('{"go": true}');
  await filteredRow.getByRole("button", { name: "Send test event" }).click();
  await filteredRow.getByText(/202: evt_/).waitFor();
  await shot(page, "project-wide");
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, "project-narrow");
  await page.setViewportSize({ width: 1280, height: 900 });

  // Start a session by hand, then stop it.
  await page.getByLabel("Entry point").fill("main.py:sleepy");
  await page.getByLabel("Inputs (JSON)").fill('{"why": "by hand"}');
  await page.getByRole("button", { name: "Start" }).click();
  await page.getByRole("heading", { name: /Session ses_/ }).waitFor();
  await row("print", "sleepy starts").waitFor();
  await page.getByRole("button", { name: "Stop" }).click();
  await page.locator("dd .state-stopped").waitFor();

  // Over a hundred sessions, cheaply (a trivial handler started through the API).
  const starts = Array.from({ length: 104 }, () => async () =>
    await d.api("/api/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ project: "pages", entrypoint: "main.py:trivial" }),
    }));
  for (let i = 0; i < starts.length; i += 8) {
    await Promise.all(starts.slice(i, i + 8).map((f) => f()));
  }
  for (;;) {
    const { total } = await d.api<{ total: number }>(
      "/api/session-search?project=pages&entrypoint=trivial&state=completed&limit=1",
    );
    if (total >= 105) break; // the 104, and the test event's
    await new Promise((r) => setTimeout(r, 200));
  }
  const total = (await d.api<{ total: number }>("/api/session-search?project=pages&limit=1"))
    .total;

  await page.goto(`${d.url}/#/sessions?project=pages`);
  const rows = page.getByTestId("sessions").locator("tbody tr");
  await page.getByText(`1–100 of ${total}`).first().waitFor();
  assert.equal(await rows.count(), 100);
  // Project and duration columns.
  const headers = await page.getByTestId("sessions").locator("th").allTextContents();
  for (const h of ["Project", "Duration", "Entry point", "Trigger"]) assert.ok(headers.includes(h));
  await shot(page, "sessions-wide");
  await page.getByRole("link", { name: "older →" }).first().click();
  await page.getByText(`101–${total} of ${total}`).first().waitFor();
  assert.equal(await rows.count(), total - 100);
  // Filters: entry point, text in prints, state, time range.
  await page.goto(`${d.url}/#/sessions?project=pages&entrypoint=flow`);
  await see(page, "1–2 of 2");
  await page.goto(`${d.url}/#/sessions?project=pages`);
  await see(page, `1–100 of ${total}`); // the new page, not the last one's form
  await page.getByLabel("Printed text").fill("needle");
  await page.getByLabel("Printed text").press("Enter");
  await see(page, "1–2 of 2");
  assert.match(page.url(), /q=needle/);
  await page.getByRole("combobox", { name: "State" }).selectOption("stopped");
  await see(page, "1–1 of 1");
  await page.goto(`${d.url}/#/sessions?project=pages&trigger=hook&state=completed`);
  await see(page, "1–1 of 1");
  await page.goto(`${d.url}/#/sessions?project=pages&until=2000-01-01T00:00`);
  await page.getByText("No sessions.").waitFor();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${d.url}/#/sessions?project=pages&state=completed`);
  await page.getByText(/^1–100 of \d+$/).first().waitFor();
  await shot(page, "sessions-narrow");
  await page.setViewportSize({ width: 1280, height: 900 });

  // Events, with their source and the sessions each started.
  await page.goto(`${d.url}/#/events?project=pages&trigger=picky`);
  await see(page, "1–1 of 1");
  await page.getByTestId("events").getByText("none").waitFor();
  await page.goto(`${d.url}/#/events?project=pages`);
  await page.getByTestId("events").getByText("hook").first().waitFor();
  await shot(page, "events-wide");

  // The favicon is served.
  const icon = await fetch(d.url + "/ui/favicon.svg");
  assert.equal(icon.headers.get("content-type"), "image/svg+xml");

  // A daemon restart while a durable session waits: its timeline marks where it resumed
  // (the browser keeps its cookie: the token, and so the cookie, outlive the restart).
  const waiting = await post(hook("hook"), { n: 5 });
  const waitingEvent = waiting.headers.get("AutoKitteh-Event-ID")!;
  type Timeline = { timeline: { kind: string; text: string }[] };
  const { sessions: [resumable] } = await d.api<{ sessions: { session_id: string }[] }>(
    `/api/session-search?event=${waitingEvent}`,
  );
  const timelineOf = () => d.api<Timeline>(`/api/sessions/${resumable.session_id}/timeline`);
  for (;;) {
    if ((await timelineOf()).timeline.some((e) => e.kind === "wait")) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await d.stop();
  await d.start();
  await page.goto(`${d.url}/#/sessions/${resumable.session_id}`);
  await row("resumed", "resumed (run 2)").waitFor();
  await row("wait", "waiting for an event on `feed`").last().waitFor();
  await shot(page, "session-resumed-wide");

  assert.deepEqual(errors, []);
});
