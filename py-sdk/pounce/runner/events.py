"""The handler's Event, built from the ``start`` message."""

from typing import Any

from pounce.event import Event, event_data, http_body

__all__ = ["build_event", "http_body"]


def build_event(start_event: Any, session_id: str | None) -> Event:
    ev = start_event if isinstance(start_event, dict) else {}
    return Event(
        data=event_data(ev.get("data")),
        event_type=ev.get("event_type"),
        event_id=ev.get("event_id"),
        session_id=session_id,
    )
