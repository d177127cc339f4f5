// Schedule expressions of schedule triggers: 5-field cron, 6-field cron with seconds (and
// croner's 7-field form with years), nicknames such as `@daily`, and `@every <duration>`,
// with an optional IANA timezone for cron expressions (UTC when none is given, as in
// AutoKitteh).
import { Cron } from "croner";

export interface Schedule {
  // The first scheduled time strictly after `after`.
  next(after: Date): Date | null;
  // The last scheduled time at or before `at`.
  latest(at: Date): Date | null;
}

export class ScheduleError extends Error {
  constructor(readonly field: "schedule" | "timezone", message: string) {
    super(message);
  }
}

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// Go's time.ParseDuration syntax ("1h30m", "90s", "1.5h"), in milliseconds.
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNITS[m[2]];
    end = re.lastIndex;
  }
  if (!text || end !== text.length) {
    throw new Error(`"${text}" is not a duration (e.g. 30s, 5m, 1h30m)`);
  }
  return total;
}

// Ticks at whole multiples of the interval since the Unix epoch, so every node (and every
// restart) agrees on when they are.
class Every implements Schedule {
  constructor(private readonly ms: number) {}

  next(after: Date): Date {
    return new Date((Math.floor(after.getTime() / this.ms) + 1) * this.ms);
  }

  latest(at: Date): Date {
    return new Date(Math.floor(at.getTime() / this.ms) * this.ms);
  }
}

class CronSchedule implements Schedule {
  constructor(private readonly cron: Cron) {}

  next(after: Date): Date | null {
    return this.cron.nextRun(after);
  }

  latest(at: Date): Date | null {
    return this.cron.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
  }
}

export function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw new ScheduleError("timezone", `"${timezone}" is not an IANA timezone name`);
  }
}

export function parseSchedule(schedule: string, timezone?: string | null): Schedule {
  const text = schedule.trim();
  if (timezone) checkTimezone(timezone);
  const every = text.match(/^@every\s+(\S+)$/);
  if (every) {
    let ms: number;
    try {
      ms = parseDuration(every[1]);
    } catch (err) {
      throw new ScheduleError("schedule", (err as Error).message);
    }
    if (ms < 1000) throw new ScheduleError("schedule", "@every needs a duration of at least 1s");
    return new Every(ms);
  }
  let cron: Cron;
  try {
    cron = new Cron(text, { paused: true, timezone: timezone || "UTC" });
    cron.nextRun();
  } catch (err) {
    const why = (err as Error).message.replace(/^\w+: /, "");
    throw new ScheduleError("schedule", `invalid cron expression "${text}": ${why}`);
  }
  return new CronSchedule(cron);
}
