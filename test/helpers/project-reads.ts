// What integration tests read back through a daemon's API: a project's sessions and
// events, the prints of its finished sessions, and a connection's status line.
import assert from "node:assert/strict";
import type { SessionJson, TestDaemon } from "./daemon.ts";
import { waitFor } from "./fakes.ts";

export type ProjectSession = SessionJson & { entrypoint: string };
export type StoredEvent = { event_type: string; data: unknown };

const FINAL = ["completed", "error", "stopped"];

// `daemon` is asked each time: test files set their daemon up in before().
export function projectReads(daemon: () => TestDaemon) {
  // The project's sessions, newest first; only the entrypoint's when given.
  const sessions = async (project: string, entrypoint?: string): Promise<ProjectSession[]> => {
    const res = await daemon().api<{ sessions: ProjectSession[] }>(
      `/api/sessions?project=${project}`,
    );
    return res.sessions.filter((s) => entrypoint === undefined || s.entrypoint === entrypoint);
  };

  const events = async (project: string): Promise<StoredEvent[]> =>
    (await daemon().api<{ events: StoredEvent[] }>(`/api/events?project=${project}`)).events;

  // Waits until the entrypoint has `count` sessions, all final; the newest must have
  // completed: returns its prints.
  const finished = async (project: string, entrypoint: string, count: number) => {
    const done = await waitFor(`${count} ${entrypoint} sessions in ${project}`, async () => {
      const list = await sessions(project, entrypoint);
      const final = list.filter((s) => FINAL.includes(s.state));
      return final.length >= count && list.length === final.length && final;
    });
    assert.equal(done.length, count);
    assert.equal(done[0].state, "completed", done[0].error ?? "");
    return await daemon().prints(done[0].session_id);
  };

  // The status line `connection get` shows for the connection.
  const status = async (ref: string): Promise<string> => {
    const out = await daemon().cli(["connection", "get", ref]);
    assert.equal(out.code, 0, out.stderr);
    return out.stdout.match(/^status:\s*(.*)$/m)?.[1] ?? "";
  };

  return { sessions, events, finished, status };
}
