// Wakes sessions that wait (in next_event, next_signal) when something they may be waiting
// for arrives. A wake-up only says "look again": the waiter re-checks the DB. Arm before
// checking, so nothing that arrives in between is missed. A session with no armed waiter
// (hibernated: no runner) is handed to `onUnwatched`, which resumes it.
export type Armed = { woken: Promise<void>; cancel(): void };

export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly epochs = new Map<string, number>();
  onUnwatched: (sessionId: string) => void = () => {};

  notify(sessionId: string): void {
    this.epochs.set(sessionId, this.epoch(sessionId) + 1);
    const set = this.waiters.get(sessionId);
    if (!set) {
      this.onUnwatched(sessionId);
      return;
    }
    this.waiters.delete(sessionId);
    for (const wake of set) wake();
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
