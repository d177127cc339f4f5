// The default environment: which imports need it, what its list is, what deploy says of
// the packages it lacks.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AUTOKITTEH_BATTERIES,
  batteriesKey,
  batteryList,
  batteryWarnings,
  mentionsBatteries,
  neededBatteries,
} from "../../src/pythonrt/batteries.ts";

const py = { executable: "/usr/bin/python3", version: "3.11.7" };

test("imports map to the packages of AutoKitteh's list", () => {
  const imports = [
    "bs4",
    "bs4.BeautifulSoup",
    "googleapiclient.discovery",
    "google.auth.transport.requests",
    "github",
    "slack_sdk.web.async_client",
    "yaml",
    "tenacity",
    "numpy",
    "google",
  ];
  assert.deepEqual(
    neededBatteries(imports, AUTOKITTEH_BATTERIES, null).map((n) => [n.module, n.package]),
    [
      ["bs4", "beautifulsoup4"],
      ["github", "PyGithub"],
      ["google.auth", "google-auth"],
      ["googleapiclient", "google-api-python-client"],
      ["slack_sdk", "slack-sdk"],
      ["tenacity", "tenacity"],
      ["yaml", "PyYAML"],
    ],
  );
});

test("what requirements.txt names is not needed from the default environment", () => {
  const needs = neededBatteries(
    ["requests", "bs4", "google.oauth2.credentials"],
    AUTOKITTEH_BATTERIES,
    "# own\nRequests==2.31\nbeautifulsoup4 ~= 4.12\ngoogle_api_python_client\n",
  );
  assert.deepEqual(needs, []);
  assert.deepEqual(neededBatteries(["requests"], [], null), []);
});

test("a list of its own: POUNCE_BATTERIES, packages not in the table by their own name", () => {
  assert.deepEqual(batteryList({ POUNCE_BATTERIES: "requests, python-dateutil  tenacity" }), [
    "requests",
    "python-dateutil",
    "tenacity",
  ]);
  assert.deepEqual(batteryList({ POUNCE_BATTERIES: "" }), []);
  assert.equal(batteryList({}), AUTOKITTEH_BATTERIES);
  const list = ["requests", "python-dateutil", "slack-sdk"];
  assert.deepEqual(
    neededBatteries(["python_dateutil", "slack_sdk", "github"], list, null).map((n) => n.package),
    ["python-dateutil", "slack-sdk"],
  );
  assert.notEqual(batteriesKey(py, list), batteriesKey(py, AUTOKITTEH_BATTERIES));
  assert.equal(batteriesKey(py, list), batteriesKey(py, [...list].reverse()));
});

test("the cheap look: only code that names a module of the list is scanned", () => {
  assert.equal(mentionsBatteries(["import json\n"], AUTOKITTEH_BATTERIES), false);
  assert.equal(
    mentionsBatteries(["import json\n", "from bs4 import X"], AUTOKITTEH_BATTERIES),
    true,
  );
  assert.equal(mentionsBatteries(["import bs4"], []), false);
});

test("deploy warnings: one line each for what the project imports and pip could not install", () => {
  const record = {
    packages: ["requests", "slack-sdk", "twilio"],
    installed: [{ name: "requests", version: "2.34.2" }],
    failed: [
      { package: "slack-sdk", reason: "No matching distribution found for slack-sdk" },
      { package: "twilio", reason: "No matching distribution found for twilio" },
    ],
    unreachable: null,
  };
  const needs = neededBatteries(["requests", "slack_sdk"], record.packages, null);
  assert.deepEqual(batteryWarnings(needs, record), [
    "[warn] slack_sdk (package slack-sdk) is not in the default environment: pip could not install it (No matching distribution found for slack-sdk)",
  ]);
  const offline = {
    ...record,
    installed: [],
    failed: record.packages.map((p) => ({ package: p, reason: "x" })),
    unreachable: "Failed to establish a new connection: [Errno -2] Name or service not known",
  };
  assert.deepEqual(batteryWarnings(needs, offline), [
    "[warn] the default environment is empty: pip could not reach a package index (Failed to establish a new connection: [Errno -2] Name or service not known)",
    "[warn] requests (package requests) is not in the default environment: no package index could be reached",
    "[warn] slack_sdk (package slack-sdk) is not in the default environment: no package index could be reached",
  ]);
});
