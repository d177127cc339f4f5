"""The project's key/value store. All operations go through ``_syscall``.

Values travel as tagged JSON (None, bool, int of any size, float, str, bytes, lists,
tuples (read back as lists) and dicts with str keys). Every operation is atomic; in a
durable session, outside activities, each one is a journaled step, so it happens once
even if the session is replayed.
"""

from collections.abc import Iterator, MutableMapping
from enum import StrEnum
from typing import Any

from . import tagged
from .syscall import _syscall


class Op(StrEnum):
    SET = "set"
    GET = "get"
    DEL = "del"
    ADD = "add"
    CHECK_AND_SET = "check_and_set"


_OPS = frozenset(op.value for op in Op)


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"store key must be a str, not {type(key).__name__}")
    if not key:
        raise ValueError("store key must not be empty")
    return str.__str__(key)


def _store(op: str, key: str, operands: list) -> Any:
    return tagged.decode(_syscall("store", op=op, key=_key(key), operands=operands))


def mutate_value(key: str, op: str, *args: Any) -> Any:
    """Apply a store operation (``get``, ``set``, ``del``, ``add``, ``check_and_set``)
    with the given operands; returns the operation's result."""
    name = op.value if isinstance(op, Op) else op
    if name not in _OPS:
        raise ValueError(f"unknown store operation {op!r} (one of: {', '.join(sorted(_OPS))})")
    operands = [tagged.encode(a, f"operand {i + 1}") for i, a in enumerate(args)]
    return _store(str(name), key, operands)


def get_value(key: str) -> Any:
    """The stored value, or None if not found."""
    return _store("get", key, [])


def set_value(key: str, value: Any) -> None:
    """Store a value; None deletes the key."""
    if value is None:
        _store("del", key, [])
        return
    _store("set", key, [tagged.encode(value)])


def del_value(key: str) -> None:
    """Delete a stored value (nothing happens if it is not there)."""
    _store("del", key, [])


def add_values(key: str, value: int | float) -> int | float:
    """Atomically add to a stored number (a missing key is set to ``value``);
    returns the new value."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"add_values needs an int or a float, not {type(value).__name__}")
    return _store("add", key, [tagged.encode(value)])


def check_and_set_value(key: str, expected_value: Any, new_value: Any) -> bool:
    """Atomically set the key to ``new_value`` if it holds ``expected_value``
    (None = missing); True if it was set."""
    operands = [
        tagged.encode(expected_value, "expected_value"),
        tagged.encode(new_value, "new_value"),
    ]
    return bool(_store("check_and_set", key, operands))


def list_values_keys() -> list[str]:
    """All keys, sorted."""
    keys = _syscall("store_keys")
    return list(keys or [])


def publish_value(key: str) -> None:
    """Make the value readable at ``<get_store_public_url()>/<key>``."""
    _syscall("publish", key=_key(key))


def unpublish_value(key: str) -> None:
    """Stop publishing the value."""
    _syscall("unpublish", key=_key(key))


_MISSING = object()


class Store(MutableMapping):
    """Dict-like view of the project store; every method is a store operation.

    As in AutoKitteh, ``store[key]`` is None for a missing key (no KeyError) and
    ``del store[key]`` of a missing key does nothing; ``in``, ``get``, ``pop`` and
    ``setdefault`` see a missing key as missing. Read-modify-write sequences
    (``store[k] += 1``) are not atomic: use ``add_values`` / ``check_and_set_value``.
    """

    def __getitem__(self, key: str) -> Any:
        return get_value(key)

    def __setitem__(self, key: str, value: Any) -> None:
        set_value(key, value)

    def __delitem__(self, key: str) -> None:
        del_value(key)

    def __iter__(self) -> Iterator[str]:
        return iter(list_values_keys())

    def __len__(self) -> int:
        return len(list_values_keys())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(key) and get_value(key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        value = get_value(key)
        return default if value is None else value

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        value = get_value(key)
        if value is None:
            if default is _MISSING:
                raise KeyError(key)
            return default
        del_value(key)
        return value

    def popitem(self) -> tuple[str, Any]:
        for key in list_values_keys():
            value = get_value(key)
            if value is not None:
                del_value(key)
                return key, value
        raise KeyError("popitem(): the store is empty")

    def setdefault(self, key: str, default: Any = None) -> Any:
        value = get_value(key)
        if value is None:
            set_value(key, default)
            return default
        return value

    def clear(self) -> None:
        for key in list_values_keys():
            del_value(key)

    def __repr__(self) -> str:
        return "<autokitteh store>"


store = Store()
