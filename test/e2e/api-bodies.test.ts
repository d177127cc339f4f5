// Every JSON body the API takes is checked (src/server/api/body.ts): a body that is not
// JSON, not an object, or has a field of the wrong type is a 400 naming the field, never
// a 500, and changes nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonFor } from "../helpers/daemon.ts";

const MANIFEST = "version: v1\nproject:\n  name: shapes\n";

const CASES: [method: string, path: string, body: string, error: RegExp][] = [
  ["POST", "/api/projects", "null", /^body: must be a JSON object$/],
  ["POST", "/api/projects", "{", /^bad request body: /],
  ["POST", "/api/projects", '{"name": 5}', /^name: must be a string$/],
  ["POST", "/api/projects", "{}", /^name: required$/],
  [
    "POST",
    "/api/projects",
    '{"name": "x", "display_name": []}',
    /^display_name: must be a string$/,
  ],
  ["POST", "/api/events", '{"project": 5}', /^project: must be a string$/],
  ["POST", "/api/events", '{"project": "shapes", "trigger": "t", "data": "x"}', /^data: must be/],
  ["POST", "/api/events", '{"project": "shapes", "memo": {"k": 1}}', /^memo\.k: must be a string$/],
  ["POST", "/api/filters/verify", '{"filter": 1}', /^filter: must be a string$/],
  ["POST", "/api/filters/verify", "[]", /^body: must be a JSON object$/],
  ["POST", "/api/sessions", '{"entrypoint": 7}', /^entrypoint: must be a string$/],
  [
    "POST",
    "/api/sessions",
    '{"project": "shapes", "entrypoint": "main.py:f", "inputs": [1]}',
    /^inputs: must be a JSON object$/,
  ],
  [
    "POST",
    "/api/sessions",
    '{"project": "shapes", "entrypoint": "main.py:f", "durable": "yes"}',
    /^durable: must be true or false$/,
  ],
  ["PUT", "/api/vars?project=shapes", '{"name": ["A"], "value": "v"}', /^name: must be a string$/],
  ["PUT", "/api/vars?project=shapes", '{"name": "A", "value": 5}', /^value: must be a string$/],
  [
    "PUT",
    "/api/vars?project=shapes",
    '{"name": "A", "value": "v", "secret": "yes"}',
    /^secret: must be true or false$/,
  ],
  ["POST", "/api/deploy", '{"manifest": 5}', /^manifest: must be a string$/],
  [
    "POST",
    "/api/deploy",
    JSON.stringify({ manifest: MANIFEST, files: { "a.py": 5 } }),
    /^files\["a\.py"\]: must be a string$/,
  ],
  [
    "POST",
    "/api/deploy",
    JSON.stringify({ manifest: MANIFEST, project_name: 1 }),
    /^project_name:/,
  ],
  ["POST", "/api/manifest/plan", "null", /^body: must be a JSON object$/],
];

test("bad API bodies are 400s naming the field", async (t) => {
  const d = await daemonFor(t);
  await d.api("/api/projects", { method: "POST", body: JSON.stringify({ name: "shapes" }) });
  for (const [method, path, body, error] of CASES) {
    const res = await fetch(d.url + path, {
      method,
      body,
      headers: { authorization: `Bearer ${d.token}`, "content-type": "application/json" },
    });
    const answer = await res.json() as { error: string };
    assert.equal(res.status, 400, `${method} ${path} ${body}: ${res.status} ${answer.error}`);
    assert.match(answer.error, error, `${method} ${path} ${body}`);
  }
  // Nothing was stored.
  const vars = await d.api<{ vars: unknown[] }>("/api/vars?project=shapes");
  assert.deepEqual(vars.vars, []);
  const projects = await d.api<{ projects: { name: string }[] }>("/api/projects");
  assert.deepEqual(projects.projects.map((p) => p.name), ["shapes"]);
  assert.doesNotMatch(d.stderr, /request failed/);
});

test("stopping takes an empty body, and checks a given one", async (t) => {
  const d = await daemonFor(t);
  const main = Buffer.from("def f(event):\n    pass\n").toString("base64");
  await d.api("/api/deploy", {
    method: "POST",
    body: JSON.stringify({ manifest: MANIFEST, files: { "main.py": main } }),
  });
  const { session_id } = await d.api<{ session_id: string }>("/api/sessions", {
    method: "POST",
    body: JSON.stringify({ project: "shapes", entrypoint: "main.py:f" }),
  });
  assert.equal((await d.waitSession(session_id)).state, "completed");
  const stop = async (body?: string) => {
    const res = await fetch(`${d.url}/api/sessions/${session_id}/stop`, {
      method: "POST",
      body,
      headers: { authorization: `Bearer ${d.token}` },
    });
    return [res.status, ((await res.json()) as { error: string }).error];
  };
  // Read, then refused: the session has ended.
  assert.deepEqual(await stop(), [409, `session "${session_id}" already ended (completed)`]);
  assert.deepEqual(await stop('{"force": "x"}'), [400, "force: must be true or false"]);
  assert.match(String((await stop("{"))[1]), /^bad request body: /);
});
