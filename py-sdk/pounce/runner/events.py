"""The handler's Event, built from the ``start`` message."""

import binascii
from base64 import b64decode
from typing import Any

from pounce.attr_dict import AttrDict
from pounce.event import Event, HttpBody

_BODY_KEYS = {"bytes", "text", "form", "json"}


def http_body(body: Any) -> Any:
    """A webhook body dict ``{bytes (base64), text, form, json}`` as an HttpBody.

    Anything else is returned unchanged.
    """
    if not isinstance(body, dict) or "bytes" not in body or not set(body) <= _BODY_KEYS:
        return body
    raw = body.get("bytes")
    if isinstance(raw, str):
        try:
            raw = b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raw = raw.encode("utf-8")
    elif raw is None:
        text = body.get("text")
        raw = text.encode("utf-8") if isinstance(text, str) else b""
    elif not isinstance(raw, bytes | bytearray):
        return body
    text = body.get("text")
    if text is None:
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            text = None
    return HttpBody(bytes(raw), text=text, form=body.get("form"), json=body.get("json"))


def build_event(start_event: Any, session_id: str | None) -> Event:
    ev = start_event if isinstance(start_event, dict) else {}
    data = ev.get("data")
    if data is None:
        data = {}
    if isinstance(data, dict):
        data = dict(data)
        if "body" in data:
            data["body"] = http_body(data["body"])
        data = AttrDict(data)
    return Event(
        data=data,
        event_type=ev.get("event_type"),
        event_id=ev.get("event_id"),
        session_id=session_id,
    )
