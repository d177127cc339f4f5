// How entities look in the API's JSON.
import type { EventRow } from "../../core/events.ts";
import type { Session } from "../../core/sessions.ts";

export const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

export function sessionJson(s: Session) {
  return {
    session_id: s.id,
    project_id: s.projectId,
    deployment_id: s.deploymentId,
    build_id: s.buildId,
    event_id: s.eventId,
    parent_session_id: s.parentId,
    entrypoint: s.entrypoint,
    durable: s.isDurable,
    state: s.state,
    error: s.error,
    return_value: s.returnDisplay,
    created_at: iso(s.createdAt),
    started_at: iso(s.startedAt),
    ended_at: iso(s.endedAt),
    updated_at: iso(s.updatedAt),
  };
}

export function eventJson(e: EventRow) {
  return {
    event_id: e.id,
    seq: e.seq,
    destination_id: e.destinationId,
    event_type: e.eventType,
    data: e.data,
    memo: e.memo,
    created_at: iso(e.createdAt),
  };
}
