"""Session outcomes (answers to synchronous webhooks). All go through ``_syscall``."""

from typing import Any

from .syscall import _syscall


def outcome(v: Any, *, event_id: str | None = None) -> None:
    """Record an outcome for the triggering event (or the given one)."""
    _syscall("outcome", value=v, event_id=event_id)


def http_outcome(
    status_code: int = 200,
    *,
    body: Any = None,
    json: Any = None,
    headers: dict[str, str] | None = None,
    more: bool = False,
    event_id: str | None = None,
) -> None:
    """Answer the HTTP request that triggered the session (sync webhooks)."""
    if body is not None and json is not None:
        raise ValueError("http_outcome takes body or json, not both")
    _syscall(
        "http_outcome",
        status_code=status_code,
        body=body,
        json=json,
        headers=dict(headers or {}),
        more=more,
        event_id=event_id,
    )
