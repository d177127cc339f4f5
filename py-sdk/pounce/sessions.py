"""Events, child sessions, signals and durable sleep. All go through ``_syscall``."""

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from . import tagged
from .attr_dict import wrap
from .event import Event, event_data
from .syscall import _syscall

Timeout = timedelta | int | float | None


def timeout_ms(timeout: Timeout) -> int | None:
    """A wait's ``timeout`` (seconds or a timedelta) as the ``timeout_ms`` arg.

    None, 0 (and infinity) mean "wait forever" and give None. A positive timeout is
    at least 1 ms.
    """
    if timeout is None:
        return None
    if isinstance(timeout, timedelta):
        seconds = timeout.total_seconds()
    elif isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(
            f"timeout must be a number of seconds or a timedelta, not {type(timeout).__name__}"
        )
    else:
        seconds = float(timeout)
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(f"timeout must not be negative, got {timeout!r}")
    if seconds == 0 or math.isinf(seconds):
        return None
    return max(1, round(seconds * 1000))


def _names(value: str | list[str], what: str) -> list[str]:
    names = [value] if isinstance(value, str) else value
    if (
        not isinstance(names, list | tuple)
        or not names
        or not all(isinstance(n, str) and n for n in names)
    ):
        raise TypeError(f"{what} must be a non-empty string or a non-empty list of them")
    return [str.__str__(n) for n in names]


def _string(value: Any, what: str, empty_ok: bool = False) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if not value and not empty_ok:
        raise ValueError(f"{what} must not be empty")
    return str.__str__(value)


def sleep(seconds: float) -> None:
    """Sleep; in a durable session outside an activity this is a durable timer."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TypeError(f"sleep() needs a number of seconds, not {seconds!r}")
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    _syscall("sleep", seconds=seconds)


def subscribe(source: str, filter: str = "") -> str:
    """Subscribe to the events of a connection or trigger of this project.

    ``filter`` is an optional CEL expression over ``data`` and ``event_type``. Only
    events that arrive after the subscription are seen. Not allowed inside activities.
    Returns the subscription id for ``next_event``.
    """
    return _syscall(
        "subscribe",
        source=_string(source, "source"),
        filter=_string(filter, "filter", empty_ok=True),
    )


def next_event(
    subscription_id: str | list[str], *, timeout: Timeout = None, full: bool = False
) -> Any:
    """The next event of the subscription(s).

    Returns the event's data (an AttrDict; a webhook ``body`` is an HttpBody), or the
    whole ``Event`` when ``full``; None when ``timeout`` (seconds or a timedelta) passes
    first. ``timeout`` None or 0 waits forever. Not allowed inside activities.
    """
    ids = _names(subscription_id, "subscription_id")
    value = _syscall("next_event", ids=ids, timeout_ms=timeout_ms(timeout))
    if value is None:
        return None
    data = event_data(value.get("data"))
    if full:
        return Event(data=data, event_type=value.get("event_type"), event_id=value.get("event_id"))
    return data


def unsubscribe(subscription_id: str) -> None:
    """Stop a subscription."""
    _syscall("unsubscribe", id=_string(subscription_id, "subscription_id"))


def start(loc: str, data: dict | None = None, memo: dict | None = None, project: str = "") -> str:
    """Start a child session at ``loc`` ("file.py:function"); returns its session id.

    The child gets ``data`` as its ``event.data`` and runs on the same build with the
    same durability, or on the active deployment of ``project`` when given. ``memo``
    maps str to str.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TypeError(f"data must be a dict, not {type(data).__name__}")
    if memo is None:
        memo = {}
    if not isinstance(memo, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in memo.items()
    ):
        raise TypeError("memo must be a dict of str to str")
    return _syscall(
        "start",
        loc=_string(loc, "loc"),
        data=tagged.encode(data, "data"),
        memo={str(k): str(v) for k, v in memo.items()},
        project=_string(project, "project", empty_ok=True),
    )


@dataclass
class Signal:
    """A received signal. For a child session's end, ``name`` is the child's session id
    and ``payload`` is ``{"completed": bool, "value": ...}``."""

    name: str
    payload: Any = None


def signal(session_id: str, name: str, payload: Any = None) -> None:
    """Send a named signal (with a tagged-JSON payload) to a session."""
    _syscall(
        "signal",
        session_id=_string(session_id, "session_id"),
        name=_string(name, "name"),
        payload=tagged.encode(payload, "payload"),
    )


def next_signal(name: str | list[str], *, timeout: Timeout = None) -> Signal | None:
    """The next signal with one of these names, or None after ``timeout``.

    Durable sessions only, and not inside activities.
    """
    names = _names(name, "name")
    value = _syscall("next_signal", names=names, timeout_ms=timeout_ms(timeout))
    if value is None:
        return None
    payload = wrap(tagged.decode(value.get("payload")))
    return Signal(name=value.get("name"), payload=payload)
