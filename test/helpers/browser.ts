// Headless Chromium for the web UI tests, driven by playwright-core. Never a skip: a suite
// without Chromium has not tested the UI (scripts/provision.sh installs it).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import type { TestContext } from "node:test";
import { type Browser, chromium } from "playwright-core";

const CHROMIUM = process.env.POUNCE_CHROMIUM ?? "/usr/bin/chromium";
// Without the background-networking flags Chromium keeps dialing hosts this machine cannot reach.
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// A browser closed when the test ends.
export async function browserFor(t: TestContext): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM),
    `no Chromium at ${CHROMIUM}: run scripts/provision.sh chromium (npm test does)`,
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  t.after(() => browser.close());
  return browser;
}
