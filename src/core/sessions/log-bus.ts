// Session log records as they are written, for live readers (the WebSocket tail).
import type { LogRecordType } from "../db/schema.ts";

export type LiveRecord = {
  // The record's global id (session_logs.id), increasing in commit order.
  id: number;
  sessionId: string;
  projectId: string;
  seq: number;
  type: LogRecordType;
  data: Record<string, unknown>;
  createdAt: number;
};

export type Listener = (record: LiveRecord) => void;

export class LogBus {
  private readonly listeners = new Set<Listener>();
  // Listeners of one session's records (a sync webhook's request: many at once, each
  // waiting for its own session, would otherwise each see every session's records).
  private readonly bySession = new Map<string, Set<Listener>>();

  // Called after the record is committed.
  publish(record: LiveRecord): void {
    for (const listener of this.listeners) listener(record);
    const mine = this.bySession.get(record.sessionId);
    if (mine) { for (const listener of mine) listener(record); }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribeSession(sessionId: string, listener: Listener): () => void {
    let set = this.bySession.get(sessionId);
    if (!set) this.bySession.set(sessionId, set = new Set());
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size && this.bySession.get(sessionId) === set) this.bySession.delete(sessionId);
    };
  }
}
