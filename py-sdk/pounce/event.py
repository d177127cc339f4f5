"""The event a handler is called with, and the body of an HTTP (webhook) event."""

import binascii
import json as _json
from base64 import b64decode
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qs

from . import tagged
from .attr_dict import AttrDict, wrap


@dataclass
class Event:
    """The event that started the session.

    ``event.data`` is an AttrDict; the fields can also be read with ``event['data']``,
    as AutoKitteh's documentation shows.
    """

    data: AttrDict = field(default_factory=AttrDict)
    event_type: str | None = None
    event_id: str | None = None
    session_id: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.data, dict) and not isinstance(self.data, AttrDict):
            self.data = AttrDict(self.data)

    def _names(self) -> list[str]:
        return [f.name for f in fields(self)]

    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._names()

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self._names() else default

    def keys(self) -> list[str]:
        return self._names()


_FIELDS = ("bytes", "text", "form", "json")


class HttpBody(bytes):
    """The body of an HTTP request: the raw bytes, plus ``bytes``/``text``/``form``/``json``.

    It *is* a ``bytes`` object, so ``json.loads(event.data.body)``, ``body.decode()`` and
    ``body[0]`` work as on the raw body, while ``body.json``, ``body['json']`` and
    ``body.get('json')`` give the parsed forms, as AutoKitteh's body dict does.
    """

    def __new__(
        cls,
        raw: bytes = b"",
        text: str | None = None,
        form: Any = None,
        json: Any = None,
    ) -> "HttpBody":
        obj = super().__new__(cls, raw)
        obj.__dict__["_fields"] = {
            "bytes": bytes(raw),
            "text": text,
            "form": wrap(form),
            "json": wrap(json),
        }
        return obj

    @classmethod
    def from_bytes(cls, raw: bytes, content_type: str = "") -> "HttpBody":
        """Build the body from raw bytes, deriving text, form and JSON where they parse."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        form = None
        if text is not None and "application/x-www-form-urlencoded" in content_type:
            form = {k: ", ".join(v) for k, v in parse_qs(text, keep_blank_values=True).items()}
        parsed = None
        if text:
            try:
                parsed = _json.loads(text)
            except ValueError:
                parsed = None
        return cls(raw, text=text, form=form, json=parsed)

    def __getattr__(self, name: str) -> Any:
        fields_ = self.__dict__.get("_fields", {})
        if name in fields_:
            return fields_[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise NotImplementedError("HttpBody does not support setting attributes")

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            fields_ = self.__dict__["_fields"]
            if key in fields_:
                return fields_[key]
            raise KeyError(key)
        return super().__getitem__(key)

    def __contains__(self, key: Any) -> bool:
        if isinstance(key, str):
            return key in _FIELDS
        return super().__contains__(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self.__dict__["_fields"].get(key, default)

    def keys(self) -> list[str]:
        return list(_FIELDS)

    def values(self) -> list[Any]:
        return [self.__dict__["_fields"][k] for k in _FIELDS]

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self.__dict__["_fields"][k]) for k in _FIELDS]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.items())

    def __repr__(self) -> str:
        return repr(self.to_dict())

    def __reduce__(self):
        f = self.__dict__["_fields"]
        return (HttpBody, (f["bytes"], f["text"], f["form"], f["json"]))


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


def event_data(data: Any) -> Any:
    """An event's ``data`` as the handler sees it: an AttrDict whose webhook ``body`` is
    an HttpBody and whose other values are tagged-JSON decoded (bytes and big ints sent
    by a parent's ``start``). Data that is not a dict is only decoded; None is ``{}``."""
    if data is None:
        return AttrDict()
    if not isinstance(data, dict):
        return tagged.decode(data)
    out = {}
    for key, value in data.items():
        body = http_body(value) if key == "body" else value
        out[key] = body if isinstance(body, HttpBody) else tagged.decode(value)
    return AttrDict(out)
