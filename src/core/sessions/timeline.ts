// A session's timeline for people (the web UI): its journal's steps (sleeps, waits,
// signals, child sessions) and its log (activities, prints, runs, its end) merged in time
// order, each with its start and, once over, its end. Read-only.
import { asc, eq, inArray } from "drizzle-orm";
import { sourceNames } from "../event-search.ts";
import type { Db } from "../db/client.ts";
import { events, sessionLogs, sessions, sessionSteps, subscriptions } from "../db/schema.ts";
import type { SecretBox } from "../projects/secrets.ts";
import type { Session } from "./rows.ts";

export type TimelineEntry = {
  kind:
    | "event"
    | "run"
    | "resumed"
    | "activity"
    | "sleep"
    | "wait"
    | "subscribe"
    | "signal"
    | "child"
    | "step"
    | "print"
    | "stop"
    | "end";
  // Milliseconds since the epoch; `end` is null while the step goes on.
  start: number;
  end: number | null;
  text: string;
  error?: boolean;
  // What the entry refers to: a session, an event, a source (trigger or connection name).
  session_id?: string;
  event_id?: string;
  source?: string;
  filter?: string;
  seq?: number;
  // A sleep's deadline (ms since the epoch).
  until?: number;
};

type StepRow = typeof sessionSteps.$inferSelect;

// A syscall's recorded result: its JSON (journal.ts recordCall), sealed or not.
function callValue(box: SecretBox, step: StepRow): unknown {
  if (!step.result) return undefined;
  try {
    const bytes = box.openBytes(Buffer.from(step.result));
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}

const short = (v: unknown, max = 200) => {
  const s = typeof v === "string" ? v : JSON.stringify(v) ?? "";
  return s.length > max ? `${s.slice(0, max)}…` : s;
};

export async function sessionTimeline(
  db: Db,
  box: SecretBox,
  s: Session,
): Promise<TimelineEntry[]> {
  const [steps, logs, subs, children] = await Promise.all([
    db.select().from(sessionSteps).where(eq(sessionSteps.sessionId, s.id))
      .orderBy(asc(sessionSteps.seq)),
    db.select().from(sessionLogs).where(eq(sessionLogs.sessionId, s.id))
      .orderBy(asc(sessionLogs.seq)),
    db.select().from(subscriptions).where(eq(subscriptions.sessionId, s.id)),
    db.select({
      id: sessions.id,
      entrypoint: sessions.entrypoint,
      state: sessions.state,
      createdAt: sessions.createdAt,
    })
      .from(sessions).where(eq(sessions.parentId, s.id)),
  ]);
  const out: TimelineEntry[] = [];

  // Names of the sources waits are on: triggers and connections of the project.
  const sourceName = new Map<string, string>();
  const destinations = [...new Set(subs.map((x) => x.destinationId))];
  const eventIds = new Set<string>();
  const values = new Map<number, unknown>();
  for (const step of steps) {
    if (step.kind === "activity" || step.kind === "sleep") continue;
    const v = callValue(box, step);
    values.set(step.seq, v);
    if (step.kind === "next_event" && v && typeof v === "object" && "event_id" in v) {
      eventIds.add(String((v as { event_id: string }).event_id));
    }
  }
  if (s.eventId) eventIds.add(s.eventId);
  const eventRows = eventIds.size
    ? await db.select({
      id: events.id,
      type: events.eventType,
      destinationId: events.destinationId,
      createdAt: events.createdAt,
    }).from(events).where(inArray(events.id, [...eventIds]))
    : [];
  const eventById = new Map(eventRows.map((e) => [e.id, e]));
  for (const e of eventRows) destinations.push(e.destinationId);
  for (const [id, name] of await sourceNames(db, destinations)) sourceName.set(id, name);

  if (s.eventId) {
    const e = eventById.get(s.eventId);
    out.push({
      kind: "event",
      start: e?.createdAt ?? s.createdAt,
      end: null,
      text: e
        ? `started by event ${e.type || "(no type)"} on \`${
          sourceName.get(e.destinationId) ?? e.destinationId
        }\``
        : "started by an event",
      event_id: s.eventId,
    });
  }

  // Activities from the log (durable or not): a call, then its result.
  const activities = new Map<number, TimelineEntry>();
  for (const r of logs) {
    const d = (r.data ?? {}) as Record<string, unknown>;
    switch (r.type) {
      case "print":
        out.push({ kind: "print", start: r.createdAt, end: null, text: String(d.text ?? "") });
        break;
      case "state": {
        const state = String(d.state);
        if (state === "running") {
          const run = Number(d.run ?? 1);
          out.push(
            run > 1
              ? {
                kind: "resumed",
                start: r.createdAt,
                end: null,
                text:
                  `resumed (run ${run}): replayed after a restart, a runner's end or hibernation`,
              }
              : { kind: "run", start: r.createdAt, end: null, text: "running" },
          );
        } else {
          out.push({
            kind: "end",
            start: r.createdAt,
            end: null,
            text: state,
            error: state === "error",
          });
        }
        break;
      }
      case "call_spec": {
        const args = [
          ...((d.args as unknown[]) ?? []).map((a) => short(a, 60)),
          ...Object.entries((d.kwargs as Record<string, unknown>) ?? {}).map(([k, v]) =>
            `${k}=${short(v, 60)}`
          ),
        ];
        const entry: TimelineEntry = {
          kind: "activity",
          start: r.createdAt,
          end: null,
          text: `${d.function}(${args.join(", ")})`,
          seq: Number(d.seq),
        };
        activities.set(Number(d.seq), entry);
        out.push(entry);
        break;
      }
      case "call_attempt_complete": {
        const entry = activities.get(Number(d.seq));
        if (!entry) break;
        entry.end = r.createdAt;
        entry.error = d.error === true;
        entry.text += d.error ? ` raised ${short(d.result)}` : ` → ${short(d.result)}`;
        break;
      }
      case "stop_request":
        out.push({
          kind: "stop",
          start: r.createdAt,
          end: null,
          text: `stop requested: ${d.reason ?? ""}`,
        });
        break;
    }
  }

  const laterEventSource = (from: number): string | undefined => {
    for (const step of steps.slice(from + 1)) {
      if (step.kind !== "next_event") continue;
      const v = values.get(step.seq) as { event_id?: string } | null | undefined;
      const e = v?.event_id ? eventById.get(v.event_id) : undefined;
      if (e) return sourceName.get(e.destinationId);
    }
    return undefined;
  };

  // Steps of the journal that the log does not show.
  let lastSub: (typeof subs)[number] | undefined;
  for (const step of steps) {
    const v = values.get(step.seq);
    const base = { start: step.startedAt, end: step.completedAt, seq: step.seq, error: step.error };
    switch (step.kind) {
      case "activity":
        break;
      case "sleep":
        out.push({
          ...base,
          kind: "sleep",
          text: `sleeping until ${new Date(step.deadline ?? step.startedAt).toISOString()}`,
          until: step.deadline ?? undefined,
        });
        break;
      case "subscribe": {
        lastSub = subs.find((x) => x.id === v);
        // Subscriptions end with their session: then the source is that of the event a
        // later wait got (the filter is not kept).
        const source = lastSub
          ? sourceName.get(lastSub.destinationId)
          : laterEventSource(steps.indexOf(step));
        let text = source ? `subscribed to \`${source}\`` : "subscribed";
        if (lastSub?.filter) text += ` (filter ${lastSub.filter})`;
        out.push({
          ...base,
          kind: "subscribe",
          text,
          source,
          filter: lastSub?.filter || undefined,
        });
        break;
      }
      case "next_event": {
        const got = v && typeof v === "object" ? v as { event_id?: string } : undefined;
        const e = got?.event_id ? eventById.get(got.event_id) : undefined;
        const source = e
          ? sourceName.get(e.destinationId)
          : lastSub && sourceName.get(lastSub.destinationId);
        const filter = lastSub?.filter;
        let text = `waiting for an event on \`${source ?? "?"}\``;
        if (filter) text += ` (filter ${filter})`;
        if (step.completedAt !== null && !step.error) {
          text += got?.event_id ? ` → got ${got.event_id}` : " → timed out";
        }
        out.push({ ...base, kind: "wait", text, source, filter, event_id: got?.event_id });
        break;
      }
      case "next_signal": {
        // The payload may hold secrets (it is sealed in the journal): only its name.
        const name = v && typeof v === "object" && "name" in v ? String(v.name) : undefined;
        const got = step.completedAt === null || step.error
          ? ""
          : name
          ? ` → got ${name}`
          : " → timed out";
        out.push({ ...base, kind: "wait", text: `waiting for a signal${got}` });
        break;
      }
      case "signal":
        out.push({ ...base, kind: "signal", text: "sent a signal" });
        break;
      case "start": {
        const child = children.find((c) => c.id === v);
        out.push({
          ...base,
          kind: "child",
          text: child
            ? `started child session ${child.entrypoint} (${child.state})`
            : `started child session`,
          session_id: typeof v === "string" ? v : undefined,
        });
        break;
      }
      default:
        out.push({
          ...base,
          kind: "step",
          text: `${step.kind}${step.error ? ` failed: ${short(v)}` : ""}`,
        });
    }
  }
  // Child sessions the journal does not name (a non-durable parent).
  for (const c of children) {
    if (out.some((e) => e.session_id === c.id)) continue;
    out.push({
      kind: "child",
      start: c.createdAt,
      end: null,
      text: `child session ${c.entrypoint} (${c.state})`,
      session_id: c.id,
    });
  }
  // Stable: equal times keep the order above (the log's, then the journal's).
  return out.map((e, i) => [e, i] as const).sort((a, b) => a[0].start - b[0].start || a[1] - b[1])
    .map(([e]) => e);
}
