"""The one door from the SDK to the daemon: ``_syscall(op, **args)``.

Inside a runner, the runner installs a handler (``set_handler``) that carries the
operation to the daemon. Outside the daemon (tests, local runs, IDEs) the operations
run against harmless local dummies: an in-memory store, fresh ids, real sleeps.
"""

import time
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from .attr_dict import AttrDict

Handler = Callable[[str, dict[str, Any]], Any]

_handler: Handler | None = None

# Dummy store for local development.
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


def _next_event(subscription_id: Any, timeout: Any = None, full: bool = False) -> Any:
    return AttrDict()


def _start(loc: str, data: Any = None, memo: Any = None, project: str = "") -> str:
    return f"ses_{uuid4().hex}"


def _get_value(key: str) -> Any:
    return _local_store.get(key)


def _set_value(key: str, value: Any) -> None:
    if value is None:
        _local_store.pop(key, None)
    else:
        _local_store[key] = value


def _del_value(key: str) -> None:
    _local_store.pop(key, None)


def _add_values(key: str, value: int | float) -> int | float:
    _local_store[key] = _local_store.get(key, 0) + value
    return _local_store[key]


def _check_and_set_value(key: str, expected_value: Any, new_value: Any) -> bool:
    if _local_store.get(key) != expected_value:
        return False
    _set_value(key, new_value)
    return True


def _mutate_value(key: str, op: str, args: tuple = ()) -> Any:
    ops: dict[str, Callable[..., Any]] = {
        "get": _get_value,
        "set": _set_value,
        "del": _del_value,
        "add": _add_values,
        "check_and_set": _check_and_set_value,
    }
    try:
        fn = ops[str(op)]
    except KeyError:
        raise ValueError(f"unknown store operation {op!r}") from None
    return fn(key, *args)


def _list_values_keys() -> list[str]:
    return sorted(_local_store)


def _nothing(**_: Any) -> None:
    return None


_LOCAL: dict[str, Callable[..., Any]] = {
    "sleep": _sleep,
    "subscribe": _subscribe,
    "next_event": _next_event,
    "unsubscribe": _nothing,
    "start": _start,
    "signal": _nothing,
    "next_signal": _nothing,
    "get_value": _get_value,
    "set_value": _set_value,
    "del_value": _del_value,
    "add_values": _add_values,
    "check_and_set_value": _check_and_set_value,
    "mutate_value": _mutate_value,
    "list_values_keys": _list_values_keys,
    "publish_value": _nothing,
    "unpublish_value": _nothing,
    "outcome": _nothing,
    "http_outcome": _nothing,
}
