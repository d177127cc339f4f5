// How entities look in the API's JSON.
import type { Build } from "../../core/projects/builds.ts";
import type { Deployment } from "../../core/projects/deployments.ts";
import type { EventRow } from "../../core/events.ts";
import type { Project } from "../../core/projects/projects.ts";
import type { Session } from "../../core/sessions/rows.ts";

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
    // Waiting without a runner; resumes by replay on its event, signal or deadline.
    hibernated: s.hibernated,
    wake_at: iso(s.wakeAt),
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

export function projectJson(p: Project) {
  return {
    project_id: p.id,
    name: p.name,
    display_name: p.displayName,
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
  };
}

export function deploymentJson(d: Deployment) {
  return {
    deployment_id: d.id,
    project_id: d.projectId,
    build_id: d.buildId,
    state: d.state,
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
  };
}

export function buildJson(b: Pick<Build, "id" | "projectId" | "createdAt">) {
  return { build_id: b.id, project_id: b.projectId, created_at: iso(b.createdAt) };
}
