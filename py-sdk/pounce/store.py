"""The project's key/value store. All operations go through ``_syscall``."""

from collections.abc import Iterator, MutableMapping
from enum import StrEnum
from typing import Any

from .syscall import _syscall


class Op(StrEnum):
    SET = "set"
    GET = "get"
    DEL = "del"
    ADD = "add"
    CHECK_AND_SET = "check_and_set"


def get_value(key: str) -> Any:
    """The stored value, or None."""
    return _syscall("get_value", key=key)


def set_value(key: str, value: Any) -> None:
    """Store a value (picklable); None deletes the key."""
    _syscall("set_value", key=key, value=value)


def del_value(key: str) -> None:
    _syscall("del_value", key=key)


def add_values(key: str, value: int | float) -> int | float:
    """Atomically add to a stored number (a missing key starts at 0); the new value."""
    return _syscall("add_values", key=key, value=value)


def check_and_set_value(key: str, expected_value: Any, new_value: Any) -> bool:
    """Atomically set the key to ``new_value`` if it holds ``expected_value``."""
    return _syscall(
        "check_and_set_value", key=key, expected_value=expected_value, new_value=new_value
    )


def mutate_value(key: str, op: str, *args: Any) -> Any:
    """Apply a store operation (``get``, ``set``, ``del``, ``add``, ``check_and_set``)."""
    return _syscall("mutate_value", key=key, op=str(op), args=args)


def list_values_keys() -> list[str]:
    """All keys, sorted."""
    return _syscall("list_values_keys")


def publish_value(key: str) -> None:
    """Make the value readable at ``<store public url>/<key>``."""
    _syscall("publish_value", key=key)


def unpublish_value(key: str) -> None:
    _syscall("unpublish_value", key=key)


class Store(MutableMapping):
    """Dict-like view of the project store (read-modify-write is not atomic)."""

    def __getitem__(self, key: str) -> Any:
        value = get_value(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        set_value(key, value)

    def __delitem__(self, key: str) -> None:
        del_value(key)

    def __iter__(self) -> Iterator[str]:
        return iter(list_values_keys())

    def __len__(self) -> int:
        return len(list_values_keys())

    def __repr__(self) -> str:
        return "<pounce store>"


store = Store()
