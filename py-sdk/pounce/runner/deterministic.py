"""Callables that are deterministic and never run as activities (the one list to edit).

Entries must be stateless and free of I/O, clock and randomness: ``re`` is fine,
``random`` is not. Modeled on AutoKitteh's ``runner/deterministic.py``.
"""

import asyncio
import datetime
import functools
import inspect
import json
import uuid
from collections.abc import Callable

# Please keep the lists sorted.

BUILTIN_TYPES: frozenset[type] = frozenset(
    {bytearray, bytes, dict, frozenset, list, memoryview, range, set, str, tuple}
)

# Compared with a callable's __module__ (or its bound object's class's __module__).
MODULES: frozenset[str] = frozenset(
    {
        "_bisect",
        "_blake2",
        "_functools",
        "_hashlib",
        "_heapq",
        "_md5",
        "_operator",
        "_sha1",
        "_sha2",
        "_sha256",
        "_sha3",
        "_sha512",
        "_string",
        "_struct",
        "abc",
        "array",
        "base64",
        "binascii",
        "bisect",
        "builtins",
        "bz2",
        "cmath",
        "collections",
        "collections.abc",
        "contextlib",
        "copy",
        "csv",
        "dataclasses",
        "decimal",
        "difflib",
        "enum",
        "fnmatch",
        "fractions",
        "functools",
        "graphlib",
        "gzip",
        "hashlib",
        "heapq",
        "hmac",
        "html",
        "html.entities",
        "html.parser",
        "ipaddress",
        "itertools",
        "keyword",
        "logging",  # output, like print: never a journaled step
        "lzma",
        "math",
        "numbers",
        "operator",
        "pprint",
        "re",
        "shlex",
        "statistics",
        "string",
        "struct",
        "textwrap",
        "tomllib",
        "traceback",
        "types",
        "typing",
        "unicodedata",
        "urllib.error",
        "urllib.parse",
        "xml",
        "zipfile",
        "zlib",
        "zoneinfo",
    }
)

# Module prefixes: every submodule is deterministic too.
MODULE_PREFIXES: tuple[str, ...] = ("re.", "xml.", "json.decoder", "json.encoder")

FUNCTIONS: frozenset = BUILTIN_TYPES | frozenset(
    {
        # asyncio helpers (scheduling only; the awaited work is judged on its own)
        asyncio.Event,
        asyncio.LifoQueue,
        asyncio.Lock,
        asyncio.PriorityQueue,
        asyncio.Queue,
        asyncio.Runner,
        asyncio.Semaphore,
        asyncio.Task,
        asyncio.as_completed,
        asyncio.create_task,
        asyncio.current_task,
        asyncio.ensure_future,
        asyncio.gather,
        asyncio.get_event_loop,
        asyncio.get_running_loop,
        asyncio.iscoroutine,
        asyncio.run,
        asyncio.run_coroutine_threadsafe,
        asyncio.shield,
        asyncio.sleep,  # a plain sleep; use time.sleep / autokitteh.sleep for a durable one
        asyncio.timeout,
        asyncio.wait,
        asyncio.wait_for,
        # datetime: constructors and pure conversions (never now/today/utcnow)
        datetime.date,
        datetime.date.fromisocalendar,
        datetime.date.fromisoformat,
        datetime.date.fromordinal,
        datetime.date.fromtimestamp,
        datetime.datetime,
        datetime.datetime.combine,
        datetime.datetime.fromisocalendar,
        datetime.datetime.fromisoformat,
        datetime.datetime.fromordinal,
        datetime.datetime.fromtimestamp,
        datetime.datetime.strptime,
        datetime.datetime.utcfromtimestamp,
        datetime.time,
        datetime.time.fromisoformat,
        datetime.timedelta,
        datetime.timezone,
        # json: only the string forms (dump/load do file I/O)
        json.dumps,
        json.loads,
        json.JSONDecoder,
        json.JSONEncoder,
        # uuid: parsing and formatting (uuid1/uuid4 are not deterministic)
        uuid.UUID,
        uuid.uuid3,
        uuid.uuid5,
    }
)

DATETIME_TYPES: frozenset[type] = frozenset(
    {datetime.date, datetime.datetime, datetime.time, datetime.timedelta, datetime.timezone}
)

# Methods of date/datetime/time/timedelta instances that only compute.
DATETIME_METHODS: frozenset[str] = frozenset(
    {
        "astimezone",
        "ctime",
        "date",
        "dst",
        "isocalendar",
        "isoformat",
        "isoweekday",
        "replace",
        "strftime",
        "time",
        "timestamp",
        "timetuple",
        "timetz",
        "toordinal",
        "total_seconds",
        "tzname",
        "utcoffset",
        "utctimetuple",
        "weekday",
    }
)


def _module_ok(name: object) -> bool:
    return isinstance(name, str) and (name in MODULES or name.startswith(MODULE_PREFIXES))


def defining_class(fn: Callable) -> type | None:
    """The class that defines a method (bound, builtin-bound or descriptor), else None."""
    if isinstance(fn, functools.partial):
        return defining_class(fn.func)
    self_ = getattr(fn, "__self__", None)
    name = getattr(fn, "__name__", None)
    if self_ is not None and name and not inspect.ismodule(self_):
        owner = self_ if isinstance(self_, type) else type(self_)
        for cls in owner.__mro__:
            if name in cls.__dict__:
                return cls
    objclass = getattr(fn, "__objclass__", None)
    return objclass if isinstance(objclass, type) else None


def is_deterministic(fn: Callable) -> bool:
    """True if ``fn`` can run outside an activity (same result for the same input)."""
    try:
        if fn in FUNCTIONS:
            return True
    except TypeError:  # unhashable callable
        pass

    if isinstance(fn, type) and issubclass(fn, BaseException):
        return True  # creating an exception

    if _module_ok(getattr(fn, "__module__", None)):
        return True

    self_ = getattr(fn, "__self__", None)
    if self_ is not None and not inspect.ismodule(self_) and not isinstance(self_, type):
        cls = type(self_)
        if cls in BUILTIN_TYPES:
            return True
        if cls in DATETIME_TYPES and getattr(fn, "__name__", None) in DATETIME_METHODS:
            return True
        if cls.__module__ != "builtins" and _module_ok(cls.__module__):
            return True
        owner = defining_class(fn)
        # A builtin type's own method on a subclass instance (not overridden), or a
        # builtin exception method (with_traceback, add_note, ...).
        if owner in BUILTIN_TYPES or owner is BaseException or owner is Exception:
            return True

    # An unbound method of a builtin type or exception, like str.join.
    owner = getattr(fn, "__objclass__", None)
    return isinstance(owner, type) and (owner in BUILTIN_TYPES or issubclass(owner, BaseException))
