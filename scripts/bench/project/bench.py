"""Handlers of the benchmark (scripts/bench/run.ts). Times are wall-clock seconds."""

import json
import time

import autokitteh

# Clock reads are measurements, not steps: never activities (nor replayed).
autokitteh.register_no_activity([time.time, time.perf_counter])


@autokitteh.activity
def noop(i):
    return i


def steps(event):
    """Figure 1: `n` trivial activities; per-step durations measured here."""
    n = event.data.body.json["n"]
    times = []
    for i in range(n):
        t = time.perf_counter()
        noop(i)
        times.append(time.perf_counter() - t)
    print(json.dumps({"steps_ms": [round(x * 1000, 4) for x in times]}))


def first_line(event):
    """Figure 2: when the handler's first line ran."""
    at = time.time()
    autokitteh.http_outcome(status_code=200, body=repr(at))


def trivial(event):
    """Figure 3: a one-step workflow, answered."""
    autokitteh.http_outcome(status_code=200, body="ok")


def wait(event):
    """Figure 4: wait for the feed event meant for this session."""
    n = event.data.body.json["n"]
    sub = autokitteh.subscribe("feed", f"data.body.json.n == {n}")
    autokitteh.next_event(sub)
    print(json.dumps({"woke_at": time.time()}))


def replay(event):
    """Figure 5: `n` recorded steps, then a wait; the wake-up replays them all."""
    n = event.data.body.json["n"]
    started = time.time()
    for i in range(n):
        noop(i)
    replayed = time.time()
    sub = autokitteh.subscribe("feed", f"data.body.json.n == {event.data.body.json['key']}")
    autokitteh.next_event(sub)
    print(json.dumps({"started": started, "replayed": replayed, "woke_at": time.time()}))
