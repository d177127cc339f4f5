// The web UI in headless Chromium: enter the token once, see a project, fire its webhook and
// watch the prints arrive live, on the project page and on the session page, with no reload.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor } from "../helpers/daemon.ts";
import { deployGated, gateFor } from "../helpers/gate.ts";
import { browserFor } from "../helpers/browser.ts";

const HANDLER = `import os
import urllib.request

def handle(event):
    print("before the gate:", event.data.body.json["who"])
    urllib.request.urlopen(os.environ["GATE_URL"]).read()
    print("after the gate")
    return "done"
`;

test("the web UI shows a session's prints live", async (t) => {
  const d = await daemonFor(t);
  const gate = await gateFor(t);
  const hook = await deployGated(t, d, gate, "ui_test", HANDLER);

  const browser = await browserFor(t);
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(err.message));

  // The token, entered once.
  await page.goto(d.url + "/");
  await page.getByLabel("API token").fill("wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("The daemon refused the token.").waitFor();
  await page.getByLabel("API token").fill(d.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "ui_test" }).click();

  // The project page: its trigger with the webhook URL, then the live log.
  await page.getByRole("heading", { name: /Project ui_test/ }).waitFor();
  assert.equal(await page.locator(".webhook-url").textContent(), d.url + hook);
  await page.locator(".live.on").waitFor();
  await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

  const fired = await fetch(d.url + hook, { method: "POST", body: JSON.stringify({ who: "ui" }) });
  assert.equal(fired.status, 202);
  const eventId = fired.headers.get("AutoKitteh-Event-ID")!;
  const log = page.getByTestId("log");
  await log.getByText("before the gate: ui").waitFor();

  // The session page, while the handler waits at the gate.
  await page.locator("td a[href^='#/sessions/ses_']").first().click();
  await page.getByRole("heading", { name: /Session ses_/ }).waitFor();
  const timeline = page.getByTestId("timeline");
  await timeline.getByText("before the gate: ui").waitFor();
  assert.equal(await page.locator("dd .state").textContent(), "running");
  gate.open();
  await timeline.getByText("after the gate").waitFor();
  await page.locator("dd .state-completed").waitFor();
  await page.getByText("ended: completed").waitFor();
  assert.equal(await page.evaluate(() => "notReloaded" in globalThis), true);

  // Events with their data, and the token kept across a reload.
  await page.goto(`${d.url}/#/events/${eventId}`);
  await page.reload();
  const data = await page.getByTestId("event-data").textContent();
  assert.equal(JSON.parse(data!).body.json.who, "ui");
  await page.getByRole("link", { name: "Sessions" }).first().click();
  await page.getByRole("combobox", { name: "State" }).selectOption("error");
  await page.getByText("No sessions.").waitFor();
  assert.deepEqual(problems, []);
});
