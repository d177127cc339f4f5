// The web UI's set-up and recovery buttons in headless Chromium against a real daemon: a
// connection's vars set from the project page (stored, masked), its OAuth button saying
// what is missing, and "Retry failed step" on a durable session that failed in an activity.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { browserFor } from "../helpers/browser.ts";
import { daemonFor, webhookPath, writeProject } from "../helpers/daemon.ts";

test("project page sets a connection's vars; a session page retries its failed step", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pounce-ui-actions-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const d = await daemonFor(t);
  const out = await d.cli([
    "deploy",
    "--manifest",
    writeProject(t, {
      "autokitteh.yaml": `version: v1
project:
  name: actions
  vars:
    - name: FLAG
      value: "${join(dir, "fixed")}"
  connections:
    - name: tracker
      integration: linear
  triggers:
    - name: go
      webhook: {}
      call: main.py:main
`,
      "main.py": `import os
import autokitteh


@autokitteh.activity
def flaky():
    if not os.path.exists(os.environ["FLAG"]):
        raise RuntimeError("not yet")
    return "fine"


def main(event):
    return flaky()
`,
    }),
  ]);
  assert.equal(out.code, 0, out.stderr);
  await fetch(d.url + webhookPath(out.stdout, "go"), { method: "POST" });
  const failed = await d.waitSession("actions");
  assert.equal(failed.state, "error");

  const ui = await d.cli(["ui", "--no-browser", "--json"]);
  const { sign_in: link } = JSON.parse(ui.stdout) as { sign_in: string };
  const browser = await browserFor(t);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(link);
  await page.getByRole("link", { name: "actions" }).waitFor();

  await page.goto(`${d.url}/#/projects/actions`);
  await page.getByLabel("Vars for tracker (key=value, one a line)").fill("api_key=lin_secret_1");
  await page.getByRole("button", { name: "Set vars" }).click();
  await page.getByText("set: api_key").waitFor();
  const got = await d.cli(["connection", "get", "tracker", "--project", "actions"]);
  assert.match(got.stdout, /api_key=\*{8}/);
  assert.doesNotMatch(got.stdout, /lin_secret_1/);
  // No OAuth app configured in the daemon: the button says what to set.
  await page.getByRole("button", { name: "Connect (OAuth)" }).click();
  await page.getByText(/LINEAR_CLIENT_ID/).waitFor();

  writeFileSync(join(dir, "fixed"), "");
  await page.goto(`${d.url}/#/sessions/${failed.session_id}`);
  await page.getByRole("button", { name: "Retry failed step" }).click();
  await page.getByText("retrying from step 1 (flaky)").waitFor();
  const s = await d.waitSession(failed.session_id);
  assert.equal(s.state, "completed", s.error ?? "");
  assert.equal(s.return_value, "'fine'");
  assert.deepEqual(errors, []);
});
