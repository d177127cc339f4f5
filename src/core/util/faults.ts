// Fault injection for tests: kills (below) for the crash tests (test/e2e/faults.test.ts),
// and delays (further below) for races. With POUNCE_FAULT=<point>[:<nth>] the daemon
// kills itself with SIGKILL the nth time (default the first) it reaches the named point.
// Unset, `fault()` does nothing.
//
// Points: event.before_store, event.after_store, dispatch.after_commit, session.started
// (a runner has its `start`; a durable session's "running" is not committed yet),
// activity.before_commit, activity.after_commit, sleep, next_event.
const spec = parse(process.env.POUNCE_FAULT, "POUNCE_FAULT");
let reached = 0;

function parse(
  value: string | undefined,
  name: string,
): { point: string; nth: number } | undefined {
  if (!value) return undefined;
  const [point, nth] = value.split(":");
  const n = nth === undefined ? 1 : Number(nth);
  if (!point || !Number.isInteger(n) || n < 1) {
    throw new Error(`${name} must be <point>[:<nth>], got ${JSON.stringify(value)}`);
  }
  return { point, nth: n };
}

export function fault(point: string): void {
  if (spec?.point !== point || ++reached !== spec.nth) return;
  process.stderr.write(`FAULT ${point}:${reached}: killing the daemon\n`);
  process.kill(process.pid, "SIGKILL");
}

// POUNCE_FAIL=<point>[:<nth>]: the nth time (default the first) the daemon reaches the
// named point, `failure()` throws there, as a failing database write would. Unset, it
// does nothing.
//
// Points: sleep.complete (the write that ends a durable sleep, from a timer: nothing
// awaits it).
const failSpec = parse(process.env.POUNCE_FAIL, "POUNCE_FAIL");
let failReached = 0;

export class InjectedFailure extends Error {
  override name = "InjectedFailure";
}

export function failure(point: string): void {
  if (failSpec?.point !== point || ++failReached !== failSpec.nth) return;
  throw new InjectedFailure(`injected failure at ${point}`);
}

// POUNCE_DELAY=<point>:<ms>: the daemon pauses `ms` milliseconds each time it reaches the
// named point, so that a test can decide which side of a race comes first. Unset,
// `delay()` returns nothing to wait for.
//
// Points: webhook.before_sync_wait (a sync webhook's sessions started, its answer not yet
// awaited: they can answer first); wait.look (a waiting call looks for what it waits for:
// a look that outlasts --hibernate-after); lease.renewed (a lease renewal committed, not
// yet acted on: sessions can start meanwhile).
const delaySpec = parseDelay(process.env.POUNCE_DELAY);

function parseDelay(value: string | undefined): { point: string; ms: number } | undefined {
  if (!value) return undefined;
  const [point, ms] = value.split(":");
  const n = Number(ms);
  if (!point || !Number.isInteger(n) || n < 0) {
    throw new Error(`POUNCE_DELAY must be <point>:<ms>, got ${JSON.stringify(value)}`);
  }
  return { point, ms: n };
}

export function delay(point: string): Promise<void> | undefined {
  if (delaySpec?.point !== point) return undefined;
  return new Promise((resolve) => setTimeout(resolve, delaySpec.ms));
}
