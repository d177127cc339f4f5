"""Events, child sessions, signals and durable sleep. All go through ``_syscall``."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .syscall import _syscall

Timeout = timedelta | int | float | None


def _seconds(timeout: Timeout) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, timedelta):
        return timeout.total_seconds()
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be a number of seconds or a timedelta, not {timeout!r}")
    return float(timeout)


def _names(value: str | list[str], what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    names = list(value)
    if not names or not all(isinstance(n, str) for n in names):
        raise TypeError(f"{what} must be a string or a non-empty list of strings")
    return names


def sleep(seconds: float) -> None:
    """Sleep; in a durable session outside an activity this is a durable timer."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TypeError(f"sleep() needs a number of seconds, not {seconds!r}")
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    _syscall("sleep", seconds=seconds)


def subscribe(source: str, filter: str = "") -> str:
    """Subscribe to events of a connection or trigger; ``filter`` is a CEL expression."""
    return _syscall("subscribe", source=source, filter=filter)


def next_event(
    subscription_id: str | list[str], *, timeout: Timeout = None, full: bool = False
) -> Any:
    """The next event of the subscription(s): its data (an AttrDict), or the whole Event
    when ``full``; None when ``timeout`` passes first (None or 0 = wait forever)."""
    ids = _names(subscription_id, "subscription_id")
    return _syscall("next_event", subscription_id=ids, timeout=_seconds(timeout), full=full)


def unsubscribe(subscription_id: str) -> None:
    """Stop a subscription."""
    _syscall("unsubscribe", subscription_id=subscription_id)


def start(loc: str, data: dict | None = None, memo: dict | None = None, project: str = "") -> str:
    """Start a child session at ``loc`` ("file.py:function"); returns its session id."""
    return _syscall("start", loc=loc, data=data, memo=memo, project=project)


@dataclass
class Signal:
    name: str
    payload: Any = None


def signal(session_id: str, name: str, payload: Any = None) -> None:
    """Send a named signal to a session."""
    _syscall("signal", session_id=session_id, name=name, payload=payload)


def next_signal(name: str | list[str], *, timeout: Timeout = None) -> Signal | None:
    """The next signal with one of these names, or None after ``timeout``."""
    names = _names(name, "name")
    return _syscall("next_signal", name=names, timeout=_seconds(timeout))
