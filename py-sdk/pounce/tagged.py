"""Tagged JSON: the one encoding of values that travel to the daemon as JSON.

Store values, signal payloads, child-session data, outcomes and the session's return
value are sent as JSON, with two tags for what plain JSON cannot hold exactly:

- ``{"$bigint": "123..."}`` for ints outside the safe JavaScript range (±(2**53 - 1)),
- ``{"$bytes": "<base64>"}`` for ``bytes`` / ``bytearray`` / ``memoryview``.

Tuples become lists and dict keys must be strings. Anything else (sets, datetimes,
objects, NaN) is refused with a ``TaggedJSONError`` naming the type and where it is.
A dict whose only key is a tag name is refused too, so decoding never guesses.
"""

import base64
import binascii
import math
from typing import Any

from .errors import AutoKittehError

BIGINT = "$bigint"
BYTES = "$bytes"
TAGS = (BIGINT, BYTES)
MAX_SAFE_INT = 2**53 - 1  # Number.MAX_SAFE_INTEGER

ALLOWED = "None, bool, int, float, str, bytes, list, tuple and dict with str keys"


class TaggedJSONError(AutoKittehError, TypeError):
    """A value that tagged JSON cannot carry (also a TypeError)."""


def type_name(value: Any) -> str:
    cls = type(value)
    mod = cls.__module__
    return cls.__qualname__ if mod == "builtins" else f"{mod}.{cls.__qualname__}"


def encode(value: Any, what: str = "value") -> Any:
    """``value`` as a JSON-ready object (dicts, lists, str, int, float, bool, None).

    ``what`` names the value in error messages (``payload``, ``data['x']``...).
    """
    try:
        return _encode(value, what, set())
    except RecursionError:
        raise TaggedJSONError(f"{what} is nested too deeply to encode") from None


def _encode(value: Any, path: str, active: set[int]) -> Any:
    if value is None or value is True or value is False:
        return value
    cls = type(value)
    if cls is str:
        return value
    if cls is int:
        return value if -MAX_SAFE_INT <= value <= MAX_SAFE_INT else {BIGINT: str(value)}
    if cls is float:
        if not math.isfinite(value):
            raise TaggedJSONError(f"{path} is {value!r}; tagged JSON takes only finite floats")
        return value
    if isinstance(value, str):
        return str.__str__(value)  # a str subclass (StrEnum...) as a plain str
    if isinstance(value, int):
        return _encode(int(value), path, active)  # IntEnum, IntFlag...
    if isinstance(value, float):
        return _encode(float(value), path, active)
    if isinstance(value, bytes | bytearray | memoryview):
        return {BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, list | tuple | dict):
        if id(value) in active:
            raise TaggedJSONError(f"{path} contains itself (a circular reference)")
        active.add(id(value))
        try:
            if isinstance(value, dict):
                return _encode_dict(value, path, active)
            return [_encode(v, f"{path}[{i}]", active) for i, v in enumerate(value)]
        finally:
            active.discard(id(value))
    raise TaggedJSONError(
        f"{path} is of type {type_name(value)}, which cannot be sent as tagged JSON "
        f"(it takes {ALLOWED})"
    )


def _encode_dict(value: dict, path: str, active: set[int]) -> dict:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise TaggedJSONError(
                f"{path} has a key {key!r} of type {type_name(key)}; "
                "tagged JSON dict keys must be str"
            )
        key = str.__str__(key)
        out[key] = _encode(item, f"{path}[{key!r}]", active)
    if len(out) == 1 and next(iter(out)) in TAGS:
        raise TaggedJSONError(
            f"{path} is a dict whose only key is {next(iter(out))!r}, "
            "which tagged JSON reserves for its tags"
        )
    return out


def decode(value: Any) -> Any:
    """The Python value of a tagged JSON object (as parsed by ``json.loads``)."""
    if type(value) is dict:
        if len(value) == 1:
            ((key, item),) = value.items()
            if key == BIGINT and isinstance(item, str):
                try:
                    return int(item)
                except ValueError:
                    raise TaggedJSONError(f"bad {BIGINT} value {item!r}") from None
            if key == BYTES and isinstance(item, str):
                try:
                    return base64.b64decode(item, validate=True)
                except (binascii.Error, ValueError):
                    raise TaggedJSONError(f"bad {BYTES} value (not base64)") from None
        return {k: decode(v) for k, v in value.items()}
    if type(value) is list:
        return [decode(v) for v in value]
    return value
