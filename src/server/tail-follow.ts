// One live-tail subscription: replay the records after a position from the database, then
// follow the log bus, with no gap and no duplicate between the two (docs/protocol.md).
import type { LiveRecord } from "../core/sessions/log-bus.ts";
import { log } from "../core/util/log.ts";
import { FINAL_STATES, isFinal, type LogRecordType, type Sessions } from "../core/sessions/rows.ts";

const PAGE = 500;
// A session whose row is final but whose final state record never arrives (written by an
// older version, or lost) still ends its stream after this long.
const FINAL_GRACE_MS = 2000;

export type Scope =
  | { kind: "session"; sessionId: string; projectId: string }
  | { kind: "project"; projectId: string };

export type FollowOptions = {
  scope: Scope;
  // Session scope: a seq (default 0, from the start). Project scope: a record id
  // (default: the latest, so only new records).
  after?: number;
  types?: LogRecordType[];
  // Called once, before any record, with the position the subscription starts after.
  ready?(after: number): void;
  send(record: LiveRecord): void;
  // Session scope: the session reached a final state; the subscription is over.
  end?(state: string): void;
};

export function isFinalRecord(r: { type: string; data: unknown }): boolean {
  const state = (r.data as { state?: unknown } | null)?.state;
  return r.type === "state" && FINAL_STATES.includes(state as never);
}

export class Follow {
  private stopped = false;
  private live = false;
  private buffer: LiveRecord[] = [];
  // Positions replayed from the database. A record is published just after its commit,
  // so a read in between replays it and it is still published afterwards; those are not
  // delivered twice.
  private replayed = new Set<number>();
  private replayedUpTo = 0;
  private unsubscribe: () => void;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly scope: Scope;

  constructor(private readonly sessions: Sessions, private readonly opts: FollowOptions) {
    this.scope = opts.scope;
    // Runs inside the writer's publish: a failure here must not reach the session.
    this.unsubscribe = sessions.bus.subscribe((r) => {
      if (this.stopped || !this.inScope(r)) return;
      try {
        if (this.live) this.deliverLive(r);
        else this.buffer.push(r);
      } catch (err) {
        log.error("tail delivery failed", { error: (err as Error).message });
        this.stop();
      }
    });
  }

  // Replays, then goes live. Resolves with the position replayed up to.
  async start(): Promise<number> {
    try {
      return await this.catchUp();
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.buffer = [];
    clearTimeout(this.timer);
  }

  private inScope(r: LiveRecord): boolean {
    return this.scope.kind === "session"
      ? r.sessionId === this.scope.sessionId
      : r.projectId === this.scope.projectId;
  }

  private position(r: LiveRecord): number {
    return this.scope.kind === "session" ? r.seq : r.id;
  }

  private async catchUp(): Promise<number> {
    const scope = this.scope;
    let last = this.opts.after ??
      (scope.kind === "session" ? 0 : await this.sessions.lastLogId());
    const row = scope.kind === "session" ? await this.sessions.get(scope.sessionId) : undefined;
    const finalState = row && isFinal(row.state) ? row.state : undefined;
    this.opts.ready?.(last);
    for (;;) {
      const rows = scope.kind === "session"
        ? (await this.sessions.logs(scope.sessionId, { after: last, limit: PAGE }))
          .map((r) => ({ ...r, projectId: scope.projectId }))
        : await this.sessions.projectLogs(scope.projectId, { after: last, limit: PAGE });
      const page = rows as LiveRecord[];
      for (const r of page) {
        if (this.stopped) return last;
        this.deliver(r);
        last = this.position(r);
        this.replayed.add(last);
      }
      if (page.length < PAGE) break;
    }
    // Anything published while replaying and already replayed has a position <= last:
    // records commit in position order, so those were committed before the last query.
    this.replayedUpTo = last;
    const buffered = this.buffer;
    this.buffer = [];
    this.live = true;
    for (const r of buffered) this.deliverLive(r);
    if (finalState && !this.stopped) {
      this.timer = setTimeout(() => this.finish(finalState), FINAL_GRACE_MS);
    }
    return last;
  }

  private deliverLive(r: LiveRecord): void {
    const position = this.position(r);
    if (this.replayed.has(position)) return;
    if (position > this.replayedUpTo) this.replayed.clear();
    this.deliver(r);
  }

  private deliver(r: LiveRecord): void {
    if (this.stopped) return;
    if (!this.opts.types || this.opts.types.includes(r.type)) this.opts.send(r);
    if (this.scope.kind === "session" && isFinalRecord(r)) {
      this.finish(String((r.data as { state: string }).state));
    }
  }

  private finish(state: string): void {
    if (this.stopped) return;
    this.stop();
    this.opts.end?.(state);
  }
}
