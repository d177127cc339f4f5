// Observability (docs/observability.md): /metrics in Prometheus text, token-protected on the
// main port and open on --metrics-listen, whose counters and histograms move with webhooks,
// sessions and activities; and OpenTelemetry traces sent over OTLP/HTTP to a collector on
// loopback: the webhook request, the session as its child, the activities as the session's
// children, in one trace whose id the session's log shows.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { daemonFor, sleep, type TestDaemon, webhookPath, writeProject } from "../helpers/daemon.ts";

const project = {
  "autokitteh.yaml": `version: v2
project:
  name: observed
  triggers:
    - name: run
      webhook: {}
      event_type: post
      call: main.py:handle
      is_durable: true
    - name: picky
      webhook: {}
      event_type: put
      call: main.py:handle
`,
  "main.py": `import autokitteh

@autokitteh.activity
def double(x):
    return x * 2

def handle(event):
    print(double(21))
`,
};

// One sample of the text format: `name{labels} value`.
type Sample = { name: string; labels: Record<string, string>; value: number };

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

// The sum of the samples of `name` whose labels include `labels`.
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  ).reduce((sum, s) => sum + s.value, 0);
}

function has(samples: Sample[], name: string): boolean {
  return samples.some((s) => s.name === name);
}

async function scrape(url: string, token?: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

async function deploy(d: TestDaemon, t: { after(fn: () => unknown): void }) {
  const out = await d.cli(["deploy", "--manifest", writeProject(t, project)]);
  assert.equal(out.code, 0, out.stderr);
  const { projects } = await d.api<{ projects: { project_id: string; name: string }[] }>(
    "/api/projects",
  );
  return {
    run: webhookPath(out.stdout, "run"),
    picky: webhookPath(out.stdout, "picky"),
    projectId: projects.find((p) => p.name === "observed")!.project_id,
  };
}

test("/metrics counts events, sessions, activities and commits", async (t) => {
  const d = await daemonFor(t, {}, ["--metrics-listen", "127.0.0.1:0"]);
  const open = `http://${/pounce started .* metrics=(\S+)/.exec(d.stderr)![1]}`;
  const noToken = await fetch(`${d.url}/metrics`);
  assert.equal(noToken.status, 401);
  assert.equal(
    (await fetch(`${d.url}/metrics`, { headers: { authorization: "Bearer nope" } })).status,
    401,
  );
  const { run, picky, projectId } = await deploy(d, t);

  assert.equal((await fetch(d.url + run, { method: "POST", body: "go" })).status, 202);
  const s = await d.waitSession("observed");
  assert.equal(s.state, "completed", s.error ?? "");
  // Filtered out: the trigger takes PUT only.
  assert.equal((await fetch(d.url + picky, { method: "GET" })).status, 202);
  // Refused: JSON nested too deep (kept, not run).
  const deep = "[".repeat(200) + "]".repeat(200);
  assert.equal((await fetch(d.url + run, { method: "POST", body: deep })).status, 400);

  const m = await scrape(d.url, d.token);
  const events = "pounce_events_received_total";
  assert.equal(value(m, events, { integration: "webhook", outcome: "session_started" }), 1);
  assert.equal(value(m, events, { integration: "webhook", outcome: "filtered_out" }), 1);
  assert.equal(value(m, events, { integration: "webhook", outcome: "refused" }), 1);
  assert.equal(value(m, "pounce_sessions_started_total", { project: projectId }), 1);
  assert.equal(
    value(m, "pounce_sessions_ended_total", { project: projectId, state: "completed" }),
    1,
  );
  assert.equal(value(m, "pounce_session_duration_seconds_count", { state: "completed" }), 1);
  assert.ok(value(m, "pounce_session_duration_seconds_sum") > 0);
  assert.equal(value(m, "pounce_activity_duration_seconds_count", { outcome: "ok" }), 1);
  assert.equal(
    value(m, "pounce_activity_duration_seconds_bucket", { outcome: "ok", le: "+Inf" }),
    1,
  );
  assert.equal(value(m, "pounce_webhook_request_duration_seconds_count"), 3);
  assert.equal(
    value(m, "pounce_webhook_request_duration_seconds_count", { method: "POST", status: "400" }),
    1,
  );
  assert.ok(value(m, "pounce_journal_commit_duration_seconds_count") >= 1);
  assert.ok(
    value(m, "pounce_journal_commit_batch_size_sum") >=
      value(m, "pounce_journal_commit_batch_size_count"),
  );
  for (const name of ["pounce_runners_live", "pounce_sessions_hibernated"]) {
    assert.ok(has(m, name), `${name} missing`);
  }
  assert.equal(value(m, "pounce_fork_server_restarts_total"), 0);
  assert.equal(value(m, "pounce_lease_takeovers_total"), 0);

  // --metrics-listen: the same metrics, without a token, and nothing else.
  const viaOpen = await scrape(open);
  assert.equal(value(viaOpen, events, { outcome: "session_started" }), 1);
  assert.equal((await fetch(`${open}/api/projects`)).status, 404);
});

type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
};

test("traces: webhook → session → activities, one trace id, shown in the session's log", async (t) => {
  const spans: OtlpSpan[] = [];
  let services = new Set<string>();
  const collector = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      assert.equal(req.url, "/v1/traces");
      assert.match(req.headers["content-type"] ?? "", /json/);
      for (const rs of JSON.parse(body).resourceSpans ?? []) {
        for (const a of rs.resource.attributes) {
          if (a.key === "service.name") services = services.add(a.value.stringValue);
        }
        for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => collector.close(resolve)));
  const port = (collector.address() as AddressInfo).port;
  const d = await daemonFor(t, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_BSP_SCHEDULE_DELAY: "50",
  });
  const { run } = await deploy(d, t);
  assert.equal((await fetch(d.url + run, { method: "POST", body: "go" })).status, 202);
  const s = await d.waitSession("observed");
  assert.equal(s.state, "completed", s.error ?? "");

  const find = (name: string) => spans.find((x) => x.name === name);
  for (let i = 0; i < 400 && !(find("activity double") && find("session")); i++) await sleep(50);
  const hook = find("POST /webhooks/{slug}");
  const session = find("session");
  const activity = find("activity double");
  assert.ok(hook && session && activity, `spans: ${spans.map((x) => x.name).join(", ")}`);
  assert.deepEqual([...services], ["pounce"]);
  assert.equal(session.traceId, hook.traceId);
  assert.equal(activity.traceId, hook.traceId);
  assert.equal(session.parentSpanId, hook.spanId);
  assert.equal(activity.parentSpanId, session.spanId);
  const attr = (span: OtlpSpan, key: string) =>
    span.attributes.find((a) => a.key === key)?.value.stringValue;
  assert.equal(attr(session, "pounce.session.id"), s.session_id);
  assert.equal(attr(session, "pounce.session.state"), "completed");

  const { records } = await d.api<
    { records: { type: string; state?: string; trace_id?: string }[] }
  >(
    `/api/sessions/${s.session_id}/log`,
  );
  const running = records.find((r) => r.type === "state" && r.state === "running");
  assert.equal(running?.trace_id, hook.traceId);
});
