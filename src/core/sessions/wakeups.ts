// Wakes sessions that wait (in next_event, next_signal) when something they may be waiting
// for arrives. A wake-up only says "look again": the waiter re-checks the DB. Arm before
// checking, so nothing that arrives in between is missed. A session with no armed waiter
// (hibernated: no runner) is handed to `onUnwatched`, which resumes it.
import type { Db } from "../db/client.ts";
import { channelsOf } from "../db/dialect.ts";

export type Armed = { woken: Promise<void>; cancel(): void };

export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly epochs = new Map<string, number>();
  onUnwatched: (sessionId: string) => void = () => {};
  // Tells the other nodes (on PostgreSQL: db/pg-notify.ts); they call `wakeWaiters`.
  relay: (sessionId: string) => void = () => {};
  // How often a waiter looks again unasked: what another node stores reaches this one only
  // so, unless that node relays its wake-ups here.
  recheckMs = 1000;

  notify(sessionId: string): void {
    this.relay(sessionId);
    this.wakeWaiters(sessionId, true);
  }

  // Wakes this node's waiters of the session (woken by another node: `unwatched` false).
  wakeWaiters(sessionId: string, unwatched = false): void {
    this.epochs.set(sessionId, this.epoch(sessionId) + 1);
    const set = this.waiters.get(sessionId);
    if (!set) {
      if (unwatched) this.onUnwatched(sessionId);
      return;
    }
    this.waiters.delete(sessionId);
    for (const wake of set) wake();
  }

  // Wakes every waiter of this node (notifications may have been missed).
  wakeAll(): void {
    for (const id of [...this.waiters.keys()]) this.wakeWaiters(id);
  }

  // Counts notifications, so a caller can tell whether one came since it last looked.
  epoch(sessionId: string): number {
    return this.epochs.get(sessionId) ?? 0;
  }

  forget(sessionId: string): void {
    this.epochs.delete(sessionId);
  }

  // `woken` resolves on the next notify for the session, at the deadline, or on abort.
  arm(sessionId: string, deadline: number | null, signal: AbortSignal): Armed {
    let cancel = () => {};
    const woken = new Promise<void>((resolve) => {
      const set = this.waiters.get(sessionId) ?? new Set();
      this.waiters.set(sessionId, set);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        set.delete(done);
        if (!set.size && this.waiters.get(sessionId) === set) this.waiters.delete(sessionId);
        if (timer) clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      cancel = done;
      set.add(done);
      if (deadline !== null) timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      signal.addEventListener("abort", done, { once: true });
    });
    return { woken, cancel };
  }
}

// On PostgreSQL, wake-ups reach the other nodes at once (LISTEN/NOTIFY): waiters look again
// unasked only now and then, and every 1 s while the notifications' connection is down.
const RECHECK_LINKED_MS = 30_000;

export function linkNodes(db: Db, wakeups: Wakeups): void {
  const channels = channelsOf(db);
  if (!channels) return;
  const recheck = () => (wakeups.recheckMs = channels.connected ? RECHECK_LINKED_MS : 1000);
  recheck();
  wakeups.relay = (id) => channels.wake(id);
  channels.onWake = (id) => wakeups.wakeWaiters(id);
  channels.onReconnect = () => wakeups.wakeAll();
  channels.onState = recheck;
}
