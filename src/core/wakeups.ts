// Wakes sessions that wait (in next_event or next_signal) when something they may be
// waiting for arrives. A wake-up only says "look again": the waiter re-checks the DB.
// Arm before checking, so nothing that arrives in between is missed.
export type Armed = { woken: Promise<void>; cancel(): void };

export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();

  notify(sessionId: string): void {
    const set = this.waiters.get(sessionId);
    if (!set) return;
    this.waiters.delete(sessionId);
    for (const wake of set) wake();
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
