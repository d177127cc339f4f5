// The daemon's metrics, as the rest of the code records them: plain functions, cheap to
// call. The OpenTelemetry SDK behind them (metrics-sdk.ts, ~2.5 MB of heap) is loaded at
// the first scrape, or in a daemon once LOAD_AT records wait for it (loadMetricsOnDemand):
// an idle daemon nobody scrapes leaves it out. What is recorded before is replayed then.
import type { Instruments } from "./metrics-sdk.ts";

// Read at each scrape: set by the engine (runner-limit, the session manager).
export type Gauges = {
  runnersLive?: () => number;
  hibernated?: () => number;
  dbStatements?: () => number;
  dbCommits?: () => number;
};
export const gauges: Gauges = {};

let instruments: Instruments | undefined;
let early: ((i: Instruments) => void)[] = [];
// Records kept while the SDK loads; beyond this (a process that never loads it) dropped.
const MAX_EARLY = 10_000;
const LOAD_AT = 1_000;
let loading: Promise<Instruments> | undefined;
let onDemand: ((err: unknown) => void) | undefined;

function record(fn: (i: Instruments) => void): void {
  if (instruments) fn(instruments);
  else if (early.length < MAX_EARLY) {
    early.push(fn);
    if (early.length === LOAD_AT && onDemand) startMetrics().catch(onDemand);
  }
}

// In the daemon: the SDK loads once LOAD_AT records wait (or at the first scrape); a
// failure to load it goes to `onFailure`.
export function loadMetricsOnDemand(onFailure: (err: unknown) => void): void {
  onDemand = onFailure;
  if (early.length >= LOAD_AT) startMetrics().catch(onFailure);
}

// Loads the SDK (once) and replays what was recorded before.
export function startMetrics(): Promise<Instruments> {
  loading ??= import("./metrics-sdk.ts").then(async ({ createInstruments }) => {
    const made = await createInstruments(gauges);
    for (const fn of early) fn(made);
    early = [];
    instruments = made;
    return made;
  });
  return loading;
}

// The Prometheus text exposition of every metric.
export async function scrape(): Promise<string> {
  return (await startMetrics()).scrape();
}

const seconds = (ms: number) => Math.max(0, ms) / 1000;

export function sessionStarted(project: string): void {
  record((i) => i.sessionsStarted.add(1, { project }));
}

export function sessionEnded(project: string, state: string, durationMs: number): void {
  record((i) => {
    i.sessionsEnded.add(1, { project, state });
    i.sessionDuration.record(seconds(durationMs), { project, state });
  });
}

export function activityCompleted(error: boolean, durationMs: number): void {
  record((i) =>
    i.activityDuration.record(seconds(durationMs), { outcome: error ? "error" : "ok" })
  );
}

// `outcome`: session_started, delivered (woke waiting sessions only), filtered_out, refused.
export function eventReceived(integration: string, outcome: string): void {
  record((i) => i.eventsReceived.add(1, { integration, outcome }));
}

export function webhookAnswered(method: string, status: number, durationMs: number): void {
  record((i) => i.webhookDuration.record(seconds(durationMs), { method, status: String(status) }));
}

export function forkServerRestarted(): void {
  record((i) => i.forkServerRestarts.add(1));
}

export function journalCommitted(durationMs: number, writes: number): void {
  record((i) => {
    i.commitDuration.record(seconds(durationMs));
    i.commitBatch.record(writes);
  });
}

// `kind`: adopted (this node resumed a running session it held no lease on), lost
// (another node took a session this node ran).
export function leaseTakeover(kind: "adopted" | "lost"): void {
  record((i) => i.leaseTakeovers.add(1, { kind }));
}
