"""The SDK works outside the daemon, with local dummies."""

import base64
import datetime
import json
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from conftest import SDK_DIR

import autokitteh
import pounce


def test_same_api_under_both_names():
    for name in pounce.__all__:
        assert getattr(autokitteh, name) is getattr(pounce, name), name
    from autokitteh.errors import AutoKittehError

    assert AutoKittehError is pounce.AutoKittehError
    assert issubclass(autokitteh.ConnectionInitError, autokitteh.AutoKittehError)
    assert issubclass(autokitteh.AuthenticationError, autokitteh.AutoKittehError)


def test_imports_cleanly_in_a_fresh_interpreter():
    code = "import autokitteh, pounce; print(autokitteh.AttrDict({'a': {'b': 1}}).a.b)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=SDK_DIR, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"


def test_local_store(local_store):
    autokitteh.set_value("k", 1)
    assert autokitteh.get_value("k") == 1
    assert autokitteh.add_values("k", 2) == 3
    assert autokitteh.check_and_set_value("k", 3, 10) is True
    assert autokitteh.check_and_set_value("k", 3, 11) is False
    assert autokitteh.mutate_value("k", "get") == 10
    assert "k" in autokitteh.list_values_keys()
    autokitteh.store["other"] = "v"
    assert autokitteh.store["other"] == "v"
    del autokitteh.store["other"]
    assert "other" not in autokitteh.store
    autokitteh.del_value("k")
    assert autokitteh.get_value("k") is None
    autokitteh.publish_value("k")
    autokitteh.unpublish_value("k")


def test_local_dummies():
    assert autokitteh.next_event("s", full=True) == autokitteh.Event()
    sid = autokitteh.subscribe("conn", "data.x == 1")
    assert sid.startswith("sig_")
    assert autokitteh.next_event(sid, timeout=timedelta(seconds=1)) == {}
    autokitteh.unsubscribe(sid)
    assert autokitteh.start("a.py:f", data={"x": 1}).startswith("ses_")
    autokitteh.signal("ses_x", "go", {"p": 1})
    assert autokitteh.next_signal("go", timeout=1) is None
    autokitteh.outcome({"ok": True})
    autokitteh.http_outcome(201, json={"ok": True})
    t = time.monotonic()
    autokitteh.sleep(0.05)
    assert time.monotonic() - t >= 0.04
    with pytest.raises(ValueError):
        autokitteh.http_outcome(body="x", json={})


def test_decorators_outside_daemon():
    @autokitteh.activity
    def f(x):
        return x + 1

    @autokitteh.activity
    async def g(x):
        return x

    @autokitteh.inhibit_activities
    @autokitteh.inhibit_activities
    def h():
        return 2

    assert f(1) == 2 and h() == 2
    autokitteh.register_no_activity([len])


def test_urls(monkeypatch):
    monkeypatch.setenv("events__webhook_url", "http://x/webhooks/1")
    monkeypatch.setenv("store_public_url", "http://x/store/p")
    assert autokitteh.get_webhook_url("events") == "http://x/webhooks/1"
    assert autokitteh.get_store_public_url() == "http://x/store/p"
    with pytest.raises(ValueError):
        autokitteh.get_webhook_url("nope")


@pytest.fixture
def local_store():
    from pounce import syscall

    syscall._local_store.clear()
    yield syscall._local_store
    syscall._local_store.clear()


@pytest.fixture
def frames(monkeypatch):
    """Record what would be sent to the daemon: [(op, args)]; answers with None."""
    from pounce import syscall

    seen: list = []
    answers: dict = {}

    def handler(op, args):
        json.dumps(args, allow_nan=False)  # args must be plain JSON
        seen.append((op, args))
        return answers.get(op)

    monkeypatch.setattr(syscall, "_handler", handler)
    return seen, answers


def test_syscall_frames(frames):
    seen, answers = frames
    answers.update(
        {
            "subscribe": "sub_1",
            "start": "ses_child",
            "store": {"$bigint": str(2**64)},
            "store_keys": ["a", "b"],
        }
    )
    assert autokitteh.subscribe("conn", "data.x == 1") == "sub_1"
    autokitteh.next_event("sub_1")
    autokitteh.next_event(["s1", "s2"], timeout=1.5)
    autokitteh.unsubscribe("sub_1")
    assert autokitteh.start("a.py:f", data={"b": b"\x01"}, memo={"m": "v"}) == "ses_child"
    autokitteh.signal("ses_x", "go", (1, 2))
    autokitteh.next_signal("go", timeout=timedelta(minutes=1))
    assert autokitteh.get_value("k") == 2**64
    autokitteh.set_value("k", {"n": 2**64})
    autokitteh.set_value("k", None)
    autokitteh.del_value("k")
    autokitteh.add_values("k", 2)
    autokitteh.check_and_set_value("k", None, b"x")
    autokitteh.mutate_value("k", "get")
    assert autokitteh.list_values_keys() == ["a", "b"]
    autokitteh.publish_value("k")
    autokitteh.unpublish_value("k")
    autokitteh.outcome({"ok": True})
    autokitteh.outcome("x", event_id="evt_1")
    autokitteh.http_outcome(201, body=b"\x00", headers={"X-A": "1"}, more=True)
    big = {"$bigint": str(2**64)}
    assert seen == [
        ("subscribe", {"source": "conn", "filter": "data.x == 1"}),
        ("next_event", {"ids": ["sub_1"], "timeout_ms": None}),
        ("next_event", {"ids": ["s1", "s2"], "timeout_ms": 1500}),
        ("unsubscribe", {"id": "sub_1"}),
        (
            "start",
            {"loc": "a.py:f", "data": {"b": {"$bytes": "AQ=="}}, "memo": {"m": "v"}, "project": ""},
        ),
        ("signal", {"session_id": "ses_x", "name": "go", "payload": [1, 2]}),
        ("next_signal", {"names": ["go"], "timeout_ms": 60000}),
        ("store", {"op": "get", "key": "k", "operands": []}),
        ("store", {"op": "set", "key": "k", "operands": [{"n": big}]}),
        ("store", {"op": "del", "key": "k", "operands": []}),
        ("store", {"op": "del", "key": "k", "operands": []}),
        ("store", {"op": "add", "key": "k", "operands": [2]}),
        ("store", {"op": "check_and_set", "key": "k", "operands": [None, {"$bytes": "eA=="}]}),
        ("store", {"op": "get", "key": "k", "operands": []}),
        ("store_keys", {}),
        ("publish", {"key": "k"}),
        ("unpublish", {"key": "k"}),
        ("outcome", {"event_id": None, "value": {"ok": True}}),
        ("outcome", {"event_id": "evt_1", "value": "x"}),
        (
            "outcome",
            {
                "event_id": None,
                "value": {
                    "http": {
                        "status_code": 201,
                        "body": {"$bytes": "AA=="},
                        "json": None,
                        "headers": {"X-A": "1"},
                        "more": True,
                    }
                },
            },
        ),
    ]


def test_next_event_results(frames):
    _, answers = frames
    raw = b'{"a": 1}'
    answers["next_event"] = {
        "event_id": "evt_1",
        "event_type": "post",
        "data": {
            "body": {
                "bytes": base64.b64encode(raw).decode(),
                "text": raw.decode(),
                "json": {"a": 1},
            },
            "n": {"$bigint": str(2**60)},
            "user": {"name": "joe"},
        },
    }
    data = autokitteh.next_event("s")
    assert isinstance(data, autokitteh.AttrDict)
    assert isinstance(data.body, autokitteh.HttpBody) and bytes(data.body) == raw
    assert data.body.json.a == 1
    assert data.n == 2**60 and data.user.name == "joe"
    event = autokitteh.next_event("s", full=True)
    assert isinstance(event, autokitteh.Event)
    assert (event.event_id, event.event_type) == ("evt_1", "post")
    assert event.data.user.name == "joe"
    answers["next_event"] = None
    assert autokitteh.next_event("s", timeout=1) is None
    assert autokitteh.next_event("s", timeout=1, full=True) is None


def test_next_signal_results(frames):
    _, answers = frames
    payload = {"completed": True, "value": {"$bytes": "eA=="}}
    answers["next_signal"] = {"name": "ses_c", "payload": payload}
    sig = autokitteh.next_signal(["go", "ses_c"])
    assert isinstance(sig, autokitteh.Signal)
    assert sig.name == "ses_c"
    assert sig.payload.completed is True and sig.payload.value == b"x"
    assert isinstance(sig.payload, autokitteh.AttrDict)
    answers["next_signal"] = {"name": "go", "payload": None}
    assert autokitteh.next_signal("go") == autokitteh.Signal("go", None)
    answers["next_signal"] = None
    assert autokitteh.next_signal("go", timeout=2) is None


@pytest.mark.parametrize(
    ("timeout", "ms"),
    [
        (None, None),
        (0, None),
        (0.0, None),
        (timedelta(0), None),
        (float("inf"), None),
        (1, 1000),
        (2.5, 2500),
        (0.1, 100),
        (0.0001, 1),
        (timedelta(minutes=1), 60000),
        (timedelta(milliseconds=1500), 1500),
    ],
)
def test_timeout_ms(timeout, ms):
    from pounce.sessions import timeout_ms

    assert timeout_ms(timeout) == ms


@pytest.mark.parametrize("bad", [True, "5", [1], object()])
def test_timeout_ms_type_errors(bad):
    from pounce.sessions import timeout_ms

    with pytest.raises(TypeError):
        timeout_ms(bad)


@pytest.mark.parametrize("bad", [-1, -0.5, timedelta(seconds=-1), float("nan")])
def test_timeout_ms_value_errors(bad):
    from pounce.sessions import timeout_ms

    with pytest.raises(ValueError):
        timeout_ms(bad)


def test_next_event_arguments():
    with pytest.raises(TypeError):
        autokitteh.next_event([])
    with pytest.raises(TypeError):
        autokitteh.next_event(["a", 1])
    with pytest.raises(TypeError):
        autokitteh.next_event("s", timeout="1")
    with pytest.raises(ValueError):
        autokitteh.next_event("s", timeout=-1)
    with pytest.raises(TypeError):
        autokitteh.next_signal(["x", None])


def test_http_outcome_validation(frames):
    seen, _ = frames
    with pytest.raises(ValueError, match="not both"):
        autokitteh.http_outcome(body="x", json={})
    with pytest.raises(ValueError):
        autokitteh.http_outcome(99)
    with pytest.raises(ValueError):
        autokitteh.http_outcome(600)
    with pytest.raises(TypeError):
        autokitteh.http_outcome("200")
    with pytest.raises(TypeError):
        autokitteh.http_outcome(True)
    with pytest.raises(TypeError):
        autokitteh.http_outcome(headers={"X": 1})
    with pytest.raises(TypeError):
        autokitteh.http_outcome(headers=[("X", "1")])
    with pytest.raises(TypeError):
        autokitteh.http_outcome(more="yes")
    with pytest.raises(TypeError):
        autokitteh.http_outcome(event_id=5)
    with pytest.raises(TypeError, match="datetime"):
        autokitteh.http_outcome(json={"when": datetime.datetime(2024, 1, 1)})
    with pytest.raises(TypeError):
        autokitteh.http_outcome(200, "positional body")  # keyword-only, as in AutoKitteh
    assert seen == []
    autokitteh.http_outcome()
    autokitteh.http_outcome(body="text")
    autokitteh.http_outcome(body={"a": [1]})
    autokitteh.http_outcome(json=[1, 2], headers={"X-Y": "z"})
    https = [args["value"]["http"] for _, args in seen]
    empty = {"status_code": 200, "body": None, "json": None, "headers": {}, "more": False}
    assert https[0] == empty
    assert https[1]["body"] == "text"
    assert https[2]["body"] == {"a": [1]}
    assert https[3]["json"] == [1, 2] and https[3]["headers"] == {"X-Y": "z"}


def test_argument_validation():
    with pytest.raises(TypeError, match="data must be a dict"):
        autokitteh.start("a.py:f", data=[1])
    with pytest.raises(TypeError, match="memo"):
        autokitteh.start("a.py:f", memo={"a": 1})
    with pytest.raises(TypeError, match="set"):
        autokitteh.start("a.py:f", data={"s": {1}})
    with pytest.raises(TypeError, match="payload"):
        autokitteh.signal("ses_x", "go", object())
    with pytest.raises(TypeError):
        autokitteh.subscribe(None)
    with pytest.raises(ValueError):
        autokitteh.subscribe("")
    with pytest.raises(TypeError):
        autokitteh.get_value(1)
    with pytest.raises(TypeError, match="datetime"):
        autokitteh.set_value("k", datetime.date(2024, 1, 1))
    with pytest.raises(TypeError):
        autokitteh.add_values("k", "1")
    with pytest.raises(ValueError, match="unknown store operation"):
        autokitteh.mutate_value("k", "increment")
    with pytest.raises(TypeError, match="outcome value"):
        autokitteh.outcome({1, 2})


def test_local_store_semantics(local_store):
    autokitteh.set_value("b", b"\x00\x01")
    autokitteh.set_value("t", (1, 2))
    autokitteh.set_value("big", 2**70)
    assert autokitteh.get_value("b") == b"\x00\x01"
    assert autokitteh.get_value("t") == [1, 2]
    assert autokitteh.add_values("big", 1) == 2**70 + 1
    assert autokitteh.add_values("new", 1.5) == 1.5
    assert autokitteh.add_values("new", 1) == 2.5
    with pytest.raises(autokitteh.AutoKittehError, match="numbers"):
        autokitteh.add_values("b", 1)
    assert autokitteh.check_and_set_value("missing", None, 1) is True
    assert autokitteh.get_value("missing") == 1
    assert autokitteh.mutate_value("big", autokitteh_op("del")) == 2**70 + 1
    assert autokitteh.mutate_value("x", "set", 5) is None
    assert autokitteh.list_values_keys() == ["b", "missing", "new", "t", "x"]
    with pytest.raises(TypeError):
        autokitteh.set_value("bad", {1, 2})
    assert "bad" not in local_store


def autokitteh_op(name):
    from pounce.store import Op

    return Op(name)


def test_store_mapping_outside_daemon(local_store):
    from collections.abc import MutableMapping

    store = autokitteh.store
    assert isinstance(store, MutableMapping)
    assert len(store) == 0 and list(store) == []
    store["b"] = 2
    store["a"] = {"x": [1]}
    assert len(store) == 2
    assert list(store) == ["a", "b"]  # sorted
    assert dict(store) == {"a": {"x": [1]}, "b": 2}
    assert autokitteh.get_value("a") == {"x": [1]}  # the same store as the functions
    assert "a" in store and "zz" not in store and 1 not in store
    assert store["zz"] is None  # as in AutoKitteh: no KeyError
    assert store.get("zz", 7) == 7 and store.get("b") == 2
    assert store.setdefault("c", 3) == 3 and store.setdefault("c", 4) == 3
    assert store.pop("c") == 3 and "c" not in store
    assert store.pop("c", "gone") == "gone"
    with pytest.raises(KeyError):
        store.pop("c")
    store.update({"d": 1}, e=2)
    assert store["d"] == 1 and store["e"] == 2
    store["d"] = None  # None deletes
    assert "d" not in store
    del store["nope"]  # as in AutoKitteh: nothing happens
    key, value = store.popitem()
    assert (key, value) == ("a", {"x": [1]})
    store.clear()
    assert len(store) == 0
    with pytest.raises(KeyError):
        store.popitem()
