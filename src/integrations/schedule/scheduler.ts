// Schedule triggers: one timer per trigger, each tick a `tick` event on the trigger.
//
// A tick is claimed by moving the trigger's `last_tick_at` forward in the same transaction
// that stores its event, and only while the trigger still has the schedule the timer was
// made for. So a tick is dispatched once even if a stale timer, a reload or another node
// races for it, and a tick missed while the daemon was down fires once at the next start.
import { now } from "../../core/util/clock.ts";
import type { Db } from "../../core/db/client.ts";
import { claimScheduleTick, scheduleTriggers, type Trigger } from "../../core/triggers/lookup.ts";
import { activeDeployment } from "../../core/projects/deployments.ts";
import type { Dispatcher } from "../../core/dispatcher.ts";
import { type EventRow, insertEvent, newEventRow } from "../../core/events.ts";
import { log } from "../../core/util/log.ts";
import { parseSchedule, type Schedule } from "../../core/triggers/schedule-spec.ts";

// setTimeout's longest delay; longer waits re-arm when it fires.
const MAX_DELAY = 2 ** 31 - 1;

type Job = {
  triggerId: string;
  schedule: string;
  timezone: string | null;
  spec: Schedule;
  timer?: ReturnType<typeof setTimeout>;
};

export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private readonly firing = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly db: Db, private readonly dispatcher: Dispatcher) {}

  // Brings the timers in line with the schedule triggers in the database: new triggers get
  // a timer, changed ones a new timer, deleted ones lose theirs; unchanged ones keep theirs.
  // Resolves once the ticks missed while no timer ran have been dispatched.
  async reload(): Promise<void> {
    if (this.closed) return;
    const rows = await scheduleTriggers(this.db);
    const wanted = new Map(rows.filter((t) => t.schedule).map((t) => [t.id, t]));
    for (const [id, job] of this.jobs) {
      const t = wanted.get(id);
      if (!t || t.schedule !== job.schedule || (t.timezone ?? null) !== job.timezone) {
        this.cancel(id);
      }
    }
    const missed: Promise<void>[] = [];
    for (const t of wanted.values()) {
      if (!this.jobs.has(t.id)) missed.push(this.add(t));
    }
    await Promise.all(missed);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.jobs.keys()]) this.cancel(id);
    await Promise.allSettled(this.firing);
  }

  private add(t: Trigger): Promise<void> {
    let spec: Schedule;
    try {
      spec = parseSchedule(t.schedule!, t.timezone);
    } catch (err) {
      log.error("schedule not started", { trigger: t.id, error: (err as Error).message });
      return Promise.resolve();
    }
    const job: Job = { triggerId: t.id, schedule: t.schedule!, timezone: t.timezone, spec };
    this.jobs.set(t.id, job);
    // A tick that fell due since the last one (or since the schedule was set) while no
    // timer was running fires once now.
    const since = Math.max(t.lastTickAt ?? 0, t.updatedAt);
    const due = spec.latest(new Date(now()));
    const missed = due && due.getTime() > since ? this.fire(job, due) : Promise.resolve();
    this.arm(job, spec.next(new Date(now())));
    return missed;
  }

  private cancel(id: string): void {
    const job = this.jobs.get(id);
    if (job?.timer) clearTimeout(job.timer);
    this.jobs.delete(id);
  }

  private arm(job: Job, at: Date | null): void {
    if (!at || this.closed || this.jobs.get(job.triggerId) !== job) return;
    const delay = Math.min(Math.max(at.getTime() - now(), 0), MAX_DELAY);
    job.timer = setTimeout(() => this.wake(job, at), delay);
  }

  private wake(job: Job, at: Date): void {
    if (this.jobs.get(job.triggerId) !== job) return;
    const t = now();
    if (t < at.getTime()) return this.arm(job, at);
    // Late by more than one period (a busy or suspended process): the ticks in between
    // coalesce into the latest one, as for a daemon that was down.
    const due = job.spec.latest(new Date(t)) ?? at;
    this.fire(job, due.getTime() > at.getTime() ? due : at);
    this.arm(job, job.spec.next(new Date(Math.max(t, at.getTime()))));
  }

  private fire(job: Job, scheduledAt: Date): Promise<void> {
    const run = this.tick(job, scheduledAt)
      .catch((err) =>
        log.error("schedule tick failed", { trigger: job.triggerId, error: (err as Error).message })
      )
      .finally(() => this.firing.delete(run));
    this.firing.add(run);
    return run;
  }

  private async tick(job: Job, scheduledAt: Date): Promise<void> {
    const at = scheduledAt.getTime();
    const event = await this.db.transaction(async (tx): Promise<EventRow | undefined> => {
      const claimed = await claimScheduleTick(tx, {
        triggerId: job.triggerId,
        schedule: job.schedule,
        timezone: job.timezone,
        at,
      });
      if (!claimed) return undefined;
      const active = await activeDeployment(tx, claimed.projectId);
      if (!active) return undefined;
      const iso = scheduledAt.toISOString();
      const row = newEventRow({
        projectId: claimed.projectId,
        destinationId: job.triggerId,
        eventType: "tick",
        data: { scheduled_at: iso },
        memo: { trigger_id: job.triggerId, scheduled_at: iso },
      });
      return insertEvent(tx, { ...row, dispatched: false });
    });
    if (event) await this.dispatcher.dispatch(event, "schedule");
  }
}
