"""The one door from the SDK to the daemon: ``_syscall(op, **args)``.

``op`` and ``args`` are exactly what the runner sends in a ``syscall`` frame (see
docs/protocol.md, "Syscalls"): args are JSON-ready (values already in tagged JSON), and
the result is the ``ok`` frame's JSON ``value``. The SDK functions build the args and
decode the result, so the same code runs inside and outside the daemon.

Inside a runner, the runner installs a handler (``set_handler``) that carries the
operation to the daemon (or returns the journaled result on replay). Outside the daemon
(tests, local runs, IDEs) the operations run against harmless local dummies that follow
the daemon's semantics: an in-memory store, fresh ids, real sleeps, no events.
"""

import os
import time
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from . import tagged
from .errors import AutoKittehError

Handler = Callable[[str, dict[str, Any]], Any]

_handler: Handler | None = None

# Dummy store for local development: key -> tagged JSON value.
_local_store: dict[str, Any] = {}


def set_handler(handler: Handler | None) -> None:
    """Install (or, with None, remove) the runner's syscall handler."""
    global _handler
    _handler = handler


def in_runner() -> bool:
    return _handler is not None


def _syscall(op: str, /, **args: Any) -> Any:
    if _handler is not None:
        return _handler(op, args)
    try:
        local = _LOCAL[op]
    except KeyError:
        raise ValueError(f"unknown operation {op!r}") from None
    return local(**args)


# --- local dummies --------------------------------------------------------------


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _subscribe(source: str, filter: str = "") -> str:
    return f"sig_{uuid4().hex}"


def _next_event(ids: list[str], timeout_ms: int | None = None) -> Any:
    # As AutoKitteh's local dummy: an empty event, at once.
    return {"event_id": None, "event_type": None, "data": {}}


def _start(loc: str, data: Any = None, memo: Any = None, project: str = "") -> str:
    return f"ses_{uuid4().hex}"


def _next_signal(names: list[str], timeout_ms: int | None = None) -> None:
    return None


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AutoKittehError("store: add: both values must be numbers")
    return value


def _store(op: str, key: str, operands: list | None = None) -> Any:
    operands = list(operands or [])
    first = operands[0] if operands else None
    current = _local_store.get(key)
    if op == "get":
        return current
    if op == "set":
        if first is None:
            _local_store.pop(key, None)
        else:
            _local_store[key] = first
        return None
    if op == "del":
        return _local_store.pop(key, None)
    if op == "add":
        if current is None:
            new = first
        else:
            total = _number(tagged.decode(current)) + _number(tagged.decode(first))
            new = tagged.encode(total)
        _local_store[key] = new
        return new
    if op == "check_and_set":
        second = operands[1] if len(operands) > 1 else None
        if tagged.decode(current) != tagged.decode(first):
            return False
        _store("set", key, [second])
        return True
    raise AutoKittehError(f"store: unknown store operation {op!r}")


def _store_keys() -> list[str]:
    return sorted(_local_store)


def _nothing(**_: Any) -> None:
    return None


def _refresh_oauth(integration: str, connection: str) -> dict[str, Any]:
    # Outside the daemon there is no provider to ask: the token the environment holds.
    return {
        "token": os.environ.get(f"{connection}__oauth_AccessToken", ""),
        "expiry": None,
    }


_LOCAL: dict[str, Callable[..., Any]] = {
    "sleep": _sleep,
    "subscribe": _subscribe,
    "next_event": _next_event,
    "unsubscribe": _nothing,
    "start": _start,
    "signal": _nothing,
    "next_signal": _next_signal,
    "store": _store,
    "store_keys": _store_keys,
    "publish": _nothing,
    "unpublish": _nothing,
    "outcome": _nothing,
    "refresh_oauth": _refresh_oauth,
}
