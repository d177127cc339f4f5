// The OpenTelemetry metrics SDK, loaded lazily by metrics.ts: one meter, its instruments,
// and the Prometheus text of a collection (served by the daemon's own /metrics route, not
// by the exporter's HTTP server). The packages are imported in createInstruments, not
// here: a bundle that inlines this module would otherwise load them at the daemon's start.
import { commonJs } from "../core/util/commonjs.ts";
import { VERSION } from "../version.ts";
import type { Gauges } from "./metrics.ts";

const FAST = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const SESSION = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 86400];
const COMMIT = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];
const BATCH = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export async function createInstruments(gauges: Gauges) {
  const [{ PrometheusExporter, PrometheusSerializer }, { resourceFromAttributes }, {
    MeterProvider,
  }] = await Promise.all([
    import("@opentelemetry/exporter-prometheus").then(commonJs),
    import("@opentelemetry/resources").then(commonJs),
    import("@opentelemetry/sdk-metrics").then(commonJs),
  ]);
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "pounce", "service.version": VERSION }),
    readers: [reader],
  });
  // No otel_scope_name label on every series: there is one meter.
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  const meter = provider.getMeter("pounce");
  const histogram = (name: string, description: string, buckets: number[]) =>
    meter.createHistogram(name, { description, advice: { explicitBucketBoundaries: buckets } });
  meter.createObservableGauge("pounce_runners_live", {
    description: "Python runners alive now",
  }).addCallback((o) => o.observe(gauges.runnersLive?.() ?? 0));
  meter.createObservableGauge("pounce_sessions_hibernated", {
    description: "Hibernated sessions whose wake-up this daemon watches",
  }).addCallback((o) => o.observe(gauges.hibernated?.() ?? 0));
  meter.createObservableCounter("pounce_db_statements", {
    description: "Statements run on the embedded database",
  }).addCallback((o) => o.observe(gauges.dbStatements?.() ?? 0));
  meter.createObservableCounter("pounce_db_commits", {
    description: "Transactions committed on the embedded database",
  }).addCallback((o) => o.observe(gauges.dbCommits?.() ?? 0));
  const forkServerRestarts = meter.createCounter("pounce_fork_server_restarts", {
    description: "Fork servers that exited unasked (they are started again)",
  });
  forkServerRestarts.add(0);
  return {
    sessionsStarted: meter.createCounter("pounce_sessions_started", {
      description: "Sessions that started their first run",
    }),
    sessionsEnded: meter.createCounter("pounce_sessions_ended", {
      description: "Sessions that reached a final state",
    }),
    sessionDuration: histogram(
      "pounce_session_duration_seconds",
      "From a session's creation to its final state",
      SESSION,
    ),
    activityDuration: histogram(
      "pounce_activity_duration_seconds",
      "Activities run (each one's count and time)",
      FAST,
    ),
    eventsReceived: meter.createCounter("pounce_events_received", {
      description: "Events received, by integration and what became of them",
    }),
    webhookDuration: histogram(
      "pounce_webhook_request_duration_seconds",
      "Webhook requests, from arrival to answer",
      FAST,
    ),
    forkServerRestarts,
    commitDuration: histogram(
      "pounce_journal_commit_duration_seconds",
      "Group commits of journal and log writes",
      COMMIT,
    ),
    commitBatch: histogram(
      "pounce_journal_commit_batch_size",
      "Writes carried by one group commit",
      BATCH,
    ),
    leaseTakeovers: meter.createCounter("pounce_lease_takeovers", {
      description: "Sessions that changed node",
    }),
    async scrape(): Promise<string> {
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize(resourceMetrics);
    },
  };
}

export type Instruments = Awaited<ReturnType<typeof createInstruments>>;
