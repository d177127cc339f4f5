// Posting to a webhook trigger and waiting for the session that event started.
import assert from "node:assert/strict";
import { type SessionJson, sleep, type TestDaemon, webhookPath } from "./daemon.ts";

// The session's final state; a session not yet listed is looked for again (the event is
// stored before its session starts).
export async function runHook(
  d: TestDaemon,
  deployOut: string,
  project: string,
  trigger = "hook",
): Promise<SessionJson> {
  const res = await fetch(d.url + webhookPath(deployOut, trigger), { method: "POST" });
  assert.equal(res.status, 202);
  const eventId = res.headers.get("AutoKitteh-Event-ID");
  for (;;) {
    const { sessions } = await d.api<{ sessions: { session_id: string; event_id: string }[] }>(
      `/api/sessions?project=${project}&event=${eventId}`,
    );
    const s = sessions.find((x) => x.event_id === eventId);
    if (s) return await d.waitSession(s.session_id, 60_000);
    await sleep(50);
  }
}
