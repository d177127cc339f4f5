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

  // Called after the record is committed.
  publish(record: LiveRecord): void {
    for (const listener of this.listeners) listener(record);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
