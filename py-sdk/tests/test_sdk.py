"""The SDK works outside the daemon, with local dummies."""

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


def test_local_store():
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


def test_syscall_is_the_one_door(monkeypatch):
    from pounce import syscall

    seen = []
    monkeypatch.setattr(syscall, "_handler", lambda op, args: seen.append((op, args)))
    autokitteh.get_value("k")
    autokitteh.subscribe("c")
    autokitteh.http_outcome(200, body="hi")
    assert [op for op, _ in seen] == ["get_value", "subscribe", "http_outcome"]
    assert seen[0][1] == {"key": "k"}
