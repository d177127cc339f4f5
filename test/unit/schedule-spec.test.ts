// Schedule expressions: cron with and without seconds, @every, timezones, and errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  parseDuration,
  parseSchedule,
  ScheduleError,
} from "../../src/core/triggers/schedule-spec.ts";

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString();

test("5-field cron ticks on minutes, in UTC unless a timezone is given", () => {
  const s = parseSchedule("*/15 * * * *");
  assert.equal(iso(s.next(at("2025-03-01T10:07:30Z"))), "2025-03-01T10:15:00.000Z");
  assert.equal(iso(s.latest(at("2025-03-01T10:15:00Z"))), "2025-03-01T10:15:00.000Z");
  assert.equal(iso(s.latest(at("2025-03-01T10:14:59Z"))), "2025-03-01T10:00:00.000Z");
  const tokyo = parseSchedule("0 9 * * *", "Asia/Tokyo");
  assert.equal(iso(tokyo.next(at("2025-03-01T01:00:00Z"))), "2025-03-02T00:00:00.000Z");
});

test("6-field cron has seconds; nicknames work", () => {
  const s = parseSchedule("*/10 * * * * *");
  assert.equal(iso(s.next(at("2025-03-01T10:00:00Z"))), "2025-03-01T10:00:10.000Z");
  assert.equal(
    iso(parseSchedule("@hourly").next(at("2025-03-01T10:00:00Z"))),
    "2025-03-01T11:00:00.000Z",
  );
});

test("timezones follow daylight saving time", () => {
  const ny = parseSchedule("0 9 * * *", "America/New_York");
  assert.equal(iso(ny.next(at("2025-01-15T00:00:00Z"))), "2025-01-15T14:00:00.000Z");
  assert.equal(iso(ny.next(at("2025-07-15T00:00:00Z"))), "2025-07-15T13:00:00.000Z");
});

test("@every ticks at whole multiples of the interval since the epoch", () => {
  const s = parseSchedule("@every 1m30s");
  assert.equal(iso(s.next(at("1970-01-01T00:01:00Z"))), "1970-01-01T00:01:30.000Z");
  assert.equal(iso(s.latest(at("1970-01-01T00:02:59Z"))), "1970-01-01T00:01:30.000Z");
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("1.5s"), 1500);
});

test("bad schedules and timezones are errors naming the field", () => {
  const fieldOf = (schedule: string, tz?: string) => {
    try {
      parseSchedule(schedule, tz);
    } catch (err) {
      assert.ok(err instanceof ScheduleError);
      return `${err.field}: ${err.message}`;
    }
    assert.fail("expected a ScheduleError");
  };
  assert.match(fieldOf("* * *"), /^schedule: invalid cron expression "\* \* \*"/);
  assert.match(fieldOf("61 * * * *"), /^schedule: invalid cron expression/);
  assert.match(fieldOf("@every soon"), /^schedule: "soon" is not a duration/);
  assert.match(fieldOf("@every 500ms"), /^schedule: @every needs a duration of at least 1s/);
  assert.match(fieldOf("* * * * *", "Nowhere/Land"), /^timezone: "Nowhere\/Land" is not an IANA/);
});
