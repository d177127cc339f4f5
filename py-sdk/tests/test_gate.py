import asyncio
import datetime
import importlib
import json
import pickle
import random
import re
import sys
import textwrap
import threading
import time
import uuid
from urllib.request import Request, urlopen

import pytest
from conftest import Fatal

import autokitteh
from pounce.runner import loader
from pounce.runner.deterministic import is_deterministic
from pounce.runner.gate import Journal, Step, activity_name


def load_user_module(tmp_path, gate, name, source):
    """Import tmp_path/<name>.py through the durable import hook (fresh each time)."""
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    sys.modules.pop(name, None)
    sys.path.insert(0, str(tmp_path))
    finder = loader.install(str(tmp_path), gate)
    try:
        return importlib.import_module(name)
    finally:
        sys.meta_path.remove(finder)
        sys.path.remove(str(tmp_path))


# --- classification -------------------------------------------------------------


def test_non_deterministic_calls_are_activities(make_gate):
    gate, _ = make_gate()
    dt = datetime.datetime(2020, 1, 2)
    for fn in (
        time.time,
        random.randrange,
        random.random,
        uuid.uuid4,
        datetime.datetime.now,
        datetime.date.today,
        urlopen,
        Request,
        threading.Lock,
    ):
        assert gate.is_activity(fn), fn
    with open(__file__) as fp:
        assert gate.is_activity(fp.read)
    assert not gate.is_activity(dt.isoformat)


def test_deterministic_calls_are_inline(make_gate):
    gate, _ = make_gate()
    pattern = re.compile("a")
    for fn in (
        json.dumps,
        json.loads,
        re.sub,
        pattern.match,
        "x".join,
        {}.get,
        [].append,
        str.upper,
        datetime.datetime.fromisoformat,
        datetime.timedelta,
        uuid.UUID,
        ValueError("x").with_traceback,
        KeyError,
    ):
        assert is_deterministic(fn), fn
        assert not gate.is_activity(fn), fn


def test_sdk_calls_are_inline(make_gate):
    gate, _ = make_gate()
    assert not gate.is_activity(autokitteh.get_value)
    assert not gate.is_activity(autokitteh.AttrDict({"a": 1}).get)
    assert not gate.is_activity(autokitteh.Event)


def test_register_no_activity(make_gate):
    gate, _ = make_gate()
    assert gate.is_activity(time.monotonic_ns)
    autokitteh.register_no_activity([time.monotonic_ns])
    assert not gate.is_activity(time.monotonic_ns)


def test_classification_follows_a_changed_function(tmp_path, make_gate):
    """is_activity's answers are cached per function: one whose __module__ changes, or
    that gets attributes of its own, is classified again."""
    gate, _ = make_gate()
    mod = load_user_module(tmp_path, gate, "usermod_changed", "def helper():\n    return 2\n")
    assert not gate.is_activity(mod.helper)
    mod.helper.__module__ = "math"  # deterministic
    assert not gate.is_activity(mod.helper)
    mod.helper.__module__ = "random"  # not user code, not deterministic
    assert gate.is_activity(mod.helper)
    mod.helper.__module__ = "usermod_changed"
    assert not gate.is_activity(mod.helper)
    mod.helper.__objclass__ = str  # as a str method would be: deterministic
    mod.helper.__module__ = "random"
    assert not gate.is_activity(mod.helper)

    builtin = time.process_time
    assert gate.is_activity(builtin)
    try:
        builtin.__module__ = "math"
        assert not gate.is_activity(builtin)
    finally:
        builtin.__module__ = "time"
    assert gate.is_activity(builtin)


def test_marks_and_modes(make_gate):
    gate, _ = make_gate()

    @autokitteh.activity
    def marked():
        pass

    assert gate.is_activity(marked)
    gate.in_activity = True
    assert not gate.is_activity(time.time) and not gate.is_activity(marked)
    gate.in_activity = False
    gate.loading = 1
    assert not gate.is_activity(time.time)
    gate.loading = 0
    gate.inhibitions = 1
    assert not gate.is_activity(time.time)
    gate.inhibitions = 0
    plain, _ = make_gate(durable=False)
    assert not plain.is_activity(time.time)


def test_user_code_is_inline_but_activity_mark_wins(tmp_path, make_gate):
    gate, _ = make_gate()
    mod = load_user_module(
        tmp_path,
        gate,
        "usermod",
        """
        import autokitteh

        class Thing:
            def method(self):
                return 1

        def helper():
            return 2

        @autokitteh.activity
        def act():
            return 3
        """,
    )
    assert not gate.is_activity(mod.helper)
    assert not gate.is_activity(mod.Thing)
    assert not gate.is_activity(mod.Thing().method)
    assert gate.is_activity(mod.act)


def test_activity_names():
    assert activity_name(random.randrange) == "randrange"
    assert activity_name(Request) == "Request"
    assert activity_name(uuid.uuid4) == "uuid4"
    assert activity_name(datetime.datetime.now) == "now"

    def foo():
        pass

    assert activity_name(foo) == "foo"


# --- running through transformed code --------------------------------------------

WORKFLOW = """
import random
import time
import autokitteh

def handler(event):
    print("start")
    a = random.randrange(1000)
    b = twice(a)
    c = act(b)
    return a, b, c

def twice(n):
    return n * 2

@autokitteh.activity
def act(n):
    print("in act")
    return n + random.randrange(1)

def fails(event):
    try:
        bad(3)
    except KeyError as err:
        return f"caught {err!r}"

@autokitteh.activity
def bad(x):
    raise KeyError(x)

def sleeper(event):
    time.sleep(2.5)
    autokitteh.sleep(1)
    return "slept"

def lock(event):
    import threading
    return threading.Lock()

async def ahandler(event):
    v = await aact(2)
    w = await plain(3)
    return v, w

@autokitteh.activity
async def aact(n):
    await asyncio_sleep0()
    return n * 10

async def asyncio_sleep0():
    import asyncio
    await asyncio.sleep(0)

async def plain(n):
    return n + 1

@autokitteh.inhibit_activities
def inhibited(event):
    return random.randrange(5) >= 0
"""


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def test_live_activities_and_replay(tmp_path, make_gate):
    gate, daemon = make_gate()
    mod = load_user_module(tmp_path, gate, "wf1", WORKFLOW)
    a, b, c = gate.call_handler(mod.handler, None, {})
    assert b == 2 * a and c == b
    calls = daemon.calls()
    assert [(h["seq"], h["name"]) for h in calls] == [(1, "randrange"), (2, "act")]
    assert calls[1]["args"] == [repr(b)]
    wait_for(lambda: len(daemon.headers("result")) == 2)
    results_ = [(h, blob) for h, blob in daemon.frames if h["t"] == "result"]
    assert pickle.loads(results_[0][1]) == (True, a)
    steps = [
        {"seq": h["seq"], "kind": "activity", "name": h["name"], "blob": blob}
        for h, blob in results_
    ]

    replay, daemon2 = make_gate(steps)
    mod2 = load_user_module(tmp_path, replay, "wf1", WORKFLOW)
    assert replay.call_handler(mod2.handler, None, {}) == (a, b, c)
    assert daemon2.calls() == []
    assert replay.journal.unfinished() is None


def test_non_determinism(tmp_path, make_gate):
    steps = [{"seq": 1, "kind": "activity", "name": "uuid4", "blob": pickle.dumps((True, 1))}]
    gate, _ = make_gate(steps)
    mod = load_user_module(tmp_path, gate, "wf2", WORKFLOW)
    with pytest.raises(Fatal) as info:
        gate.call_handler(mod.handler, None, {})
    assert str(info.value) == (
        "non-determinism at step 1: journal has activity 'uuid4', code called activity 'randrange'"
    )


def test_activity_exception_is_raised_at_call_site_and_replayed(tmp_path, make_gate):
    gate, daemon = make_gate()
    mod = load_user_module(tmp_path, gate, "wf3", WORKFLOW)
    assert gate.call_handler(mod.fails, None, {}) == "caught KeyError(3)"
    wait_for(lambda: daemon.headers("result"))
    assert daemon.headers("result")[0]["error"] is True
    blob = [b for h, b in daemon.frames if h["t"] == "result"][0]
    replay, daemon2 = make_gate([{"seq": 1, "kind": "activity", "name": "bad", "blob": blob}])
    mod2 = load_user_module(tmp_path, replay, "wf3", WORKFLOW)
    assert replay.call_handler(mod2.fails, None, {}) == "caught KeyError(3)"
    assert daemon2.frames == []


def test_durable_sleep_and_replay(tmp_path, make_gate):
    gate, daemon = make_gate()
    mod = load_user_module(tmp_path, gate, "wf4", WORKFLOW)
    assert gate.call_handler(mod.sleeper, None, {}) == "slept"
    sleeps = daemon.headers("sleep")
    assert [(h["seq"], h["ms"]) for h in sleeps] == [(1, 2500), (2, 1000)]

    steps = [
        {"seq": 1, "kind": "sleep", "name": "sleep", "done": True},
        {"seq": 2, "kind": "sleep", "name": "sleep", "done": False},
    ]
    replay, daemon2 = make_gate(steps)
    mod2 = load_user_module(tmp_path, replay, "wf4", WORKFLOW)
    assert replay.call_handler(mod2.sleeper, None, {}) == "slept"
    assert [(h["seq"], h["ms"]) for h in daemon2.headers("sleep")] == [(2, 1000)]


def test_unpicklable_result_is_fatal_and_names_the_type(tmp_path, make_gate):
    gate, _ = make_gate()
    mod = load_user_module(tmp_path, gate, "wf5", WORKFLOW)
    with pytest.raises(Fatal) as info:
        gate.call_handler(mod.lock, None, {})
    text = str(info.value)
    assert "_thread.lock" in text
    assert "@autokitteh.activity" in text
    assert "error processing result - " in text


def test_async_activity_awaited(tmp_path, make_gate):
    gate, daemon = make_gate()
    mod = load_user_module(tmp_path, gate, "wf6", WORKFLOW)
    assert gate.call_handler(mod.ahandler, None, {}) == (20, 4)
    assert [h["name"] for h in daemon.calls()] == ["aact"]


def test_inhibited_handler_runs_plainly(tmp_path, make_gate):
    gate, daemon = make_gate()
    mod = load_user_module(tmp_path, gate, "wf7", WORKFLOW)
    assert gate.call_handler(mod.inhibited, None, {}) is True
    assert daemon.calls() == []


def test_fail_answer_raises_autokitteh_error(tmp_path, make_gate):
    gate, daemon = make_gate()
    daemon.fail_next = "disk full"
    mod = load_user_module(tmp_path, gate, "wf8", WORKFLOW)
    with pytest.raises(autokitteh.AutoKittehError, match="disk full"):
        gate.call_handler(mod.sleeper, None, {})


# --- syscalls ---------------------------------------------------------------------


def test_durable_syscalls_are_numbered_steps(make_gate):
    gate, daemon = make_gate()
    daemon.reply = lambda h: {"subscribe": "sub_1", "store": 7}.get(h["op"])
    assert autokitteh.subscribe("conn") == "sub_1"
    gate.sleep(0)
    assert autokitteh.add_values("n", 7) == 7
    syscalls = daemon.headers("syscall")
    assert [(h["op"], h["seq"]) for h in syscalls] == [("subscribe", 1), ("store", 3)]
    assert syscalls[0]["args"] == {"source": "conn", "filter": ""}
    assert syscalls[1]["args"] == {"op": "add", "key": "n", "operands": [7]}
    assert all(isinstance(h["id"], int) for h in syscalls)


def test_non_durable_syscalls_have_no_seq(make_gate):
    gate, daemon = make_gate(durable=False)
    daemon.reply = lambda h: {"$bytes": "eA=="}
    assert autokitteh.get_value("k") == b"x"
    autokitteh.next_event("sub_1", timeout=2)
    (first, second) = daemon.headers("syscall")
    assert "seq" not in first and "seq" not in second
    assert second["args"] == {"ids": ["sub_1"], "timeout_ms": 2000}
    assert gate.journal.seq == 0


def test_syscalls_inside_activities_are_not_steps(tmp_path, make_gate):
    gate, daemon = make_gate()
    gate.in_activity = True
    autokitteh.set_value("k", 1)
    for call in (
        lambda: autokitteh.subscribe("conn"),
        lambda: autokitteh.next_event("s"),
        lambda: autokitteh.next_signal("go"),
    ):
        with pytest.raises(autokitteh.AutoKittehError, match="inside an activity"):
            call()
    gate.in_activity = False
    (header,) = daemon.headers("syscall")
    assert header["op"] == "store" and "seq" not in header
    assert gate.journal.seq == 0


def test_store_write_inside_a_real_activity(tmp_path, make_gate):
    gate, daemon = make_gate()
    mod = load_user_module(
        tmp_path,
        gate,
        "wfs1",
        """
        import autokitteh

        @autokitteh.activity
        def act():
            autokitteh.set_value("k", 1)
            out = []
            for call in (lambda: autokitteh.subscribe("conn"), lambda: autokitteh.next_event("s")):
                try:
                    call()
                except autokitteh.AutoKittehError as err:
                    out.append(str(err))
            return out

        def handler(event):
            return act()
        """,
    )
    subscribe, next_event = gate.call_handler(mod.handler, None, {})
    assert subscribe.startswith("subscribe inside activity: subscribe: not allowed")
    assert next_event.startswith("next_event inside activity: next_event: not allowed")
    (header,) = daemon.headers("syscall")
    assert "seq" not in header
    assert [h["seq"] for h in daemon.calls()] == [1]


def test_next_signal_needs_a_durable_session(make_gate):
    make_gate(durable=False)
    with pytest.raises(autokitteh.AutoKittehError, match="next_signal: only available in durable"):
        autokitteh.next_signal("go")


def test_next_event_works_in_non_durable_sessions(make_gate):
    _, daemon = make_gate(durable=False)
    daemon.reply = lambda h: {"event_id": "e", "event_type": "t", "data": {"a": 1}}
    assert autokitteh.next_event("s") == {"a": 1}


def test_fail_answer_names_the_op(make_gate):
    _, daemon = make_gate()
    daemon.fail_next = 'source "nope" not found'
    with pytest.raises(autokitteh.AutoKittehError) as info:
        autokitteh.subscribe("nope")
    assert str(info.value) == 'subscribe: source "nope" not found'


def test_replayed_syscalls_return_recorded_values(make_gate):
    steps = [
        {"seq": 1, "kind": "subscribe", "name": "subscribe", "value": "sub_1"},
        {"seq": 2, "kind": "store", "name": "store", "value": {"$bigint": str(2**64)}},
        {"seq": 3, "kind": "next_event", "name": "next_event", "value": None},
    ]
    gate, daemon = make_gate(steps)
    assert autokitteh.subscribe("conn") == "sub_1"
    assert autokitteh.get_value("k") == 2**64
    assert autokitteh.next_event("sub_1", timeout=1) is None
    assert daemon.headers("syscall") == []
    assert gate.journal.unfinished() is None
    daemon.reply = lambda h: "live"
    assert autokitteh.start("a.py:f") == "live"
    (header,) = daemon.headers("syscall")
    assert header["seq"] == 4


def test_unfinished_wait_is_sent_again_with_its_seq(make_gate):
    steps = [
        {"seq": 1, "kind": "subscribe", "name": "subscribe", "value": "sub_1"},
        {"seq": 2, "kind": "next_event", "name": "next_event", "done": False},
    ]
    gate, daemon = make_gate(steps)
    daemon.reply = lambda h: {"event_id": "e", "event_type": "t", "data": {"x": 1}}
    sub = autokitteh.subscribe("conn")
    assert gate.print_seq() == (False, None)  # still replaying
    assert autokitteh.next_event(sub, timeout=60).x == 1
    (header,) = daemon.headers("syscall")
    assert header["op"] == "next_event" and header["seq"] == 2
    assert header["args"] == {"ids": ["sub_1"], "timeout_ms": 60000}
    assert gate.print_seq() == (True, None)


def test_recorded_syscall_error_is_raised_again(make_gate):
    steps = [
        {"seq": 1, "kind": "signal", "name": "signal", "error": True, "value": "no such session"}
    ]
    make_gate(steps)
    with pytest.raises(autokitteh.AutoKittehError, match="signal: no such session"):
        autokitteh.signal("ses_x", "go")


def test_syscall_kind_mismatch_is_non_determinism(make_gate):
    gate, daemon = make_gate([{"seq": 1, "kind": "activity", "name": "randrange"}])
    with pytest.raises(Fatal, match="step 1: journal has activity 'randrange', code called store"):
        autokitteh.get_value("k")
    gate2, _ = make_gate([{"seq": 1, "kind": "subscribe", "name": "subscribe", "value": "s"}])
    with pytest.raises(Fatal, match="journal has subscribe, code called store"):
        autokitteh.get_value("k")
    assert daemon.headers("syscall") == []


def test_oversized_or_non_json_args_are_refused(make_gate):
    gate, daemon = make_gate()
    with pytest.raises(autokitteh.AutoKittehError, match="store: arguments are .* over the 1 MiB"):
        autokitteh.set_value("k", "x" * (1 << 20))
    with pytest.raises(autokitteh.AutoKittehError, match="not JSON"):
        gate.syscall("custom", {"x": object()})
    with pytest.raises(autokitteh.AutoKittehError, match="not JSON"):
        gate.syscall("custom", {"x": float("nan")})
    assert daemon.headers("syscall") == [] and gate.journal.seq == 0


def test_syscalls_during_module_loading_are_not_steps(tmp_path, make_gate):
    gate, daemon = make_gate()
    load_user_module(
        tmp_path,
        gate,
        "wfs2",
        """
        import autokitteh

        autokitteh.set_value("loaded", True)
        """,
    )
    (header,) = daemon.headers("syscall")
    assert "seq" not in header and gate.journal.seq == 0


def test_handler_marked_activity_is_one_activity(tmp_path, make_gate):
    gate, daemon = make_gate()
    mod = load_user_module(
        tmp_path,
        gate,
        "wf9",
        """
        import random, autokitteh

        @autokitteh.activity
        def handler(event):
            return random.randrange(1) + len(event)
        """,
    )
    assert gate.call_handler(mod.handler, [1, 2], {}) == 2
    assert [h["name"] for h in daemon.calls()] == ["handler"]


def test_prints_suppressed_until_replay_catches_up(make_gate):
    steps = [{"seq": 1, "kind": "sleep", "name": "sleep", "done": True}]
    gate, _ = make_gate(steps)
    assert gate.print_seq() == (False, None)
    gate.sleep(1)
    assert gate.print_seq() == (True, None)
    asyncio.run(asyncio.sleep(0))


def test_prints_logged_by_earlier_runs_are_not_sent_again():
    # The daemon says 3 workflow prints were logged: the replay's first 3 are dropped,
    # even after the last recorded step (printed between that step and the crash).
    journal = Journal([Step(seq=1, kind="sleep", name="sleep")], printed=3)
    sent = [journal.print_is_new() for _ in range(5)]
    assert sent == [False, False, False, True, True]


# --- one frame per step ----------------------------------------------------------


def test_a_quick_activity_sends_one_frame(make_gate):
    gate, daemon = make_gate()

    def add(a, b=0):
        return a + b

    assert gate.run_activity(add, (1,), {"b": 2}) == 3
    assert daemon.headers("call") == []
    (result,) = daemon.headers("result")
    assert (result["seq"], result["name"], result["display"]) == (1, "add", "3")
    assert (result["args"], result["kwargs"]) == (["1"], {"b": "2"})
    assert result["ms"] >= 0


def test_a_long_activity_shows_its_call_while_it_runs(make_gate):
    gate, daemon = make_gate()
    seen = []

    def slow():
        # Still running: the call reaches the daemon before the activity ends.
        wait_for(lambda: daemon.headers("call"))
        seen.extend(daemon.headers("call"))
        return "done"

    assert gate.run_activity(slow, (), {}) == "done"
    assert [(h["seq"], h["name"], h["args"]) for h in seen] == [(1, "slow", [])]
    wait_for(lambda: daemon.headers("result"))
    (result,) = daemon.headers("result")
    assert "args" not in result  # the call was sent already
    assert len(daemon.headers("call")) == 1


def test_an_activity_that_prints_sends_its_call_first(make_gate):
    gate, daemon = make_gate()
    gate.chan.post({"t": "print", "text": "before"})

    def talk():
        send, seq = gate.print_seq()
        gate.chan.post({"t": "print", "text": "inside", "seq": seq})
        return send

    assert gate.run_activity(talk, (), {}) is True
    wait_for(lambda: daemon.headers("result"))
    assert [h["t"] for h, _ in daemon.frames] == ["print", "call", "print", "result"]
    assert "args" not in daemon.headers("result")[0]


def test_a_journal_frame_holds_many_steps():
    values = [pickle.dumps((True, i)) for i in range(3)]
    header = {
        "t": "journal",
        "steps": [
            {"seq": 1, "kind": "activity", "name": "a", "size": len(values[0])},
            {"seq": 2, "kind": "sleep", "name": "sleep", "done": False, "size": 0},
            {"seq": 3, "kind": "activity", "name": "b", "size": len(values[1])},
            {"seq": 4, "kind": "store", "name": "store", "value": {"x": 1}, "size": 0},
            {"seq": 5, "kind": "activity", "name": "c", "error": True, "size": len(values[2])},
        ],
    }
    steps = Step.from_frame(header, b"".join(values))
    assert [(s.seq, s.kind, s.done, s.error) for s in steps] == [
        (1, "activity", True, False),
        (2, "sleep", False, False),
        (3, "activity", True, False),
        (4, "store", True, False),
        (5, "activity", True, True),
    ]
    assert [pickle.loads(s.blob) for s in steps if s.kind == "activity"] == [
        (True, 0),
        (True, 1),
        (True, 2),
    ]
    assert steps[3].value == {"x": 1}
