"""Session outcomes (answers to synchronous webhooks). All go through ``_syscall``."""

from collections.abc import Mapping
from typing import Any

from . import tagged
from .syscall import _syscall


def _event_id(event_id: Any) -> str | None:
    if event_id is not None and not isinstance(event_id, str):
        raise TypeError(f"event_id must be a str or None, not {type(event_id).__name__}")
    return event_id or None


def outcome(v: Any, *, event_id: str | None = None) -> None:
    """Record an outcome (any tagged-JSON value) for the triggering event, or the given one."""
    _syscall("outcome", event_id=_event_id(event_id), value=tagged.encode(v, "outcome value"))


def http_outcome(
    status_code: int = 200,
    *,
    body: Any = None,
    json: Any = None,
    headers: dict[str, str] | None = None,
    more: bool = False,
    event_id: str | None = None,
) -> None:
    """Answer the HTTP request that triggered the session (synchronous webhooks).

    ``body`` is sent as it is (str or bytes) or, for other values (dict, list...), as
    JSON; ``json`` is sent as JSON with ``Content-Type: application/json``. Give one of
    them, not both. ``more=True`` means more responses follow for this request
    (``status_code`` counts only in the first one).
    """
    if isinstance(status_code, bool) or not isinstance(status_code, int):
        raise TypeError(f"status_code must be an int, not {type(status_code).__name__}")
    if not 100 <= status_code <= 599:
        raise ValueError(f"status_code must be between 100 and 599, got {status_code}")
    if body is not None and json is not None:
        raise ValueError("http_outcome takes body or json, not both")
    if headers is None:
        headers = {}
    if not isinstance(headers, Mapping):
        raise TypeError(f"headers must be a dict of str to str, not {type(headers).__name__}")
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(
                f"headers must be a dict of str to str; {name!r}: {value!r} "
                f"is {type(name).__name__}: {type(value).__name__}"
            )
    if not isinstance(more, bool):
        raise TypeError(f"more must be a bool, not {type(more).__name__}")
    http = {
        "status_code": status_code,
        "body": tagged.encode(body, "body"),
        "json": tagged.encode(json, "json"),
        "headers": {str.__str__(k): str.__str__(v) for k, v in headers.items()},
        "more": more,
    }
    _syscall("outcome", event_id=_event_id(event_id), value={"http": http})
