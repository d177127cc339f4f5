"""Pickled results, error texts and AutoKitteh's help banners."""

import inspect
import io
import json
import os
import pickle
import re
import sys
import traceback
from typing import Any

from pounce.errors import AutoKittehError

MAX_VALUE_BYTES = 1 << 20  # 1 MiB: the largest pickled activity result we send
MAX_DISPLAY_CHARS = 64 * 1024
MAX_ARG_DISPLAY_CHARS = 200

RULE = "=" * 103

# Pounce's advice for values that cannot be journaled. Its first line ends "so it cannot be
# journaled." (session test maps AutoKitteh's "@autokitteh.activity decorator" banner to it).
PICKLE_ADVICE = """
{rule}
{what}, so it cannot be journaled.
Move the code that creates and uses it into a function decorated with @autokitteh.activity,
which runs as one activity and returns something picklable.
{rule}
"""

PICKLE_HELP = PICKLE_ADVICE.format(
    rule=RULE, what="A value passed to or from an activity cannot be pickled"
)

MISSING_MODULE_HELP = """
{rule}
The Python module {module} is not installed for this project. Add the package that provides
it to requirements.txt next to autokitteh.yaml (one a line, e.g. "requests" or
"requests==2.32.3") and deploy again: Pounce installs it into the project's environment.
{rule}
"""


BATTERIES_MISSING_HELP = """
{rule}
The Python module {module} is not installed for this project: Pounce's default environment
lacks its package {package} ({reason}). Add "{package}" to requirements.txt next to
autokitteh.yaml and deploy again once your package index has it.
{rule}
"""

BATTERIES_NOTE = (
    "(Pounce's default environment, which this project uses, does not provide it either;\n"
    "`pounce doctor` lists what it holds.)\n"
)

BATTERIES_HINTS = "_pounce_batteries.json"


def batteries_hints() -> dict[str, Any] | None:
    """What the default environment lacks, when this process runs on it (venvs.ts)."""
    for entry in sys.path:
        try:
            with open(os.path.join(entry, BATTERIES_HINTS), encoding="utf-8") as fp:
                return json.load(fp)
        except (OSError, ValueError):
            continue
    return None


def missing_module_help(module: str) -> str:
    top = module.split(".")[0]
    named = f'"{top}"' if module else "it imports"
    hints = batteries_hints()
    if hints is not None and module:
        missing = hints.get("missing", {})
        found = next((missing[m] for m in (module, top) if m in missing), None)
        if found:
            return BATTERIES_MISSING_HELP.format(rule=RULE, module=named, **found)
    text = MISSING_MODULE_HELP.format(rule=RULE, module=named)
    if hints is not None:  # the note before the closing rule
        head, _, tail = text.rstrip("\n").rpartition("\n")
        text = f"{head}\n{BATTERIES_NOTE}{tail}\n"
    return text


def missing_module(err: BaseException) -> str | None:
    """The module a ModuleNotFoundError (or its text) names; "" if unnamed, None if not one."""
    if isinstance(err, ModuleNotFoundError) and err.name:
        return err.name
    match = re.search(r"No module named '([^']+)'", str(err))
    if match:
        return match.group(1)
    return "" if isinstance(err, ModuleNotFoundError) else None


class ResultError(Exception):
    """An activity result that cannot be journaled; fails the session. ``printed`` is what
    the session's prints show of it (None: the whole text). ``error``: what pickling or
    restoring the value raised (None for a result over the size limit); the session's
    text then adds it and its traceback in the user's code (tracebacks.result_error_text)."""

    def __init__(
        self, text: str, printed: str | None = None, error: BaseException | None = None
    ) -> None:
        super().__init__(text)
        self.printed = printed
        self.error = error


def banners(err: BaseException) -> str:
    """The help banners that apply to this error ("" if none)."""
    text = str(err)
    out = ""
    module = missing_module(err)
    if module is not None:
        out += missing_module_help(module) + "\n"
    if "pickle" in text.lower():
        out += PICKLE_HELP + "\n"
    return out


def safe_repr(value: Any, limit: int = MAX_DISPLAY_CHARS) -> str:
    try:
        text = repr(value)
    except Exception as err:
        text = f"<{type(value).__qualname__} object (repr failed: {err!r})>"
    if len(text) > limit:
        text = text[: max(limit - 3, 0)] + "..."
    return text


def type_name(value: Any) -> str:
    cls = type(value)
    mod = cls.__module__
    return cls.__qualname__ if mod == "builtins" else f"{mod}.{cls.__qualname__}"


def _init_params(err: BaseException) -> list[str] | None:
    code = getattr(type(err).__init__, "__code__", None)
    if code is None:  # a builtin __init__
        return None
    names = inspect.getargs(code).args
    return names[1:] if names and names[0] == "self" else names


def set_exception_args(err: BaseException) -> None:
    """Make ``err.args`` match ``__init__``'s parameters so the exception unpickles.

    Exceptions unpickle as ``cls(*args)`` plus their ``__dict__``; a subclass whose
    __init__ takes other parameters than it passes to ``super().__init__`` breaks that.
    Tried in order: the args as they are; the args read from same-named attributes;
    AutoKitteh's fix (missing trailing args read from attributes, else None).
    """
    names = _init_params(err)
    if not names:
        return
    original = tuple(err.args)
    candidates = [original]
    if all(hasattr(err, n) for n in names):
        candidates.append(tuple(getattr(err, n) for n in names))
    if len(original) < len(names):
        candidates.append(original + tuple(getattr(err, n, None) for n in names[len(original) :]))
    for args in candidates:
        try:
            err.args = args
        except Exception:
            return  # some exceptions refuse new args
        if _round_trips(err):
            return
    try:
        err.args = original
    except Exception:
        pass


def _round_trips(value: Any) -> bool:
    try:
        pickle.loads(pickle.dumps(value))
        return True
    except Exception:
        return False


def _rebuild_exception(cls: type, args: tuple, state: dict) -> BaseException:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class _Pickler(pickle.Pickler):
    """Pickles an exception that would not unpickle (its class cannot be called again
    with its args, e.g. openai's errors with required keyword arguments) as its class,
    args and attributes, rebuilt without calling ``__init__``: the workflow still
    catches it by its class, as in AutoKitteh."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, BaseException) and not _round_trips(obj):
            return _rebuild_exception, (type(obj), tuple(obj.args), dict(vars(obj)))
        return NotImplemented


def dumps(value: Any) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf).dump(value)
    return buf.getvalue()


def picklable_exception(err: BaseException) -> BaseException:
    """``err`` itself if it pickles; else a copy of the same class with the attributes
    that do not pickle set to None (pickled by ``dumps``, which rebuilds it without
    calling ``__init__`` if need be); else ``AutoKittehError(repr(err))``."""
    set_exception_args(err)
    if _round_trips(err):
        return err
    try:
        cls = type(err)
        copy = cls.__new__(cls)
        copy.args = tuple(a if _round_trips(a) else None for a in err.args)
        for name, value in vars(err).items():
            setattr(copy, name, value if _round_trips(value) else None)
        pickle.loads(dumps(copy))
        return copy
    except Exception:
        pass
    return AutoKittehError(safe_repr(err))


def format_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1 << 20:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1 << 20):.1f} MiB"


# Immutable values that pickle as themselves and come back equal: their blob needs no
# exception handling and no round trip to know what the workflow gets.
_ATOMIC = frozenset({int, float, str, bytes, bool, type(None)})


def pack(ok: bool, value: Any, name: str) -> tuple[bytes, Any]:
    """Pickle an activity's outcome: ``(True, value)`` for a return, ``(False, exception,
    frames)`` for an exception, ``frames`` being the traceback inside the activity as
    ``(file, line, function, code)`` tuples (tracebacks do not pickle).

    Returns the blob and the value as it comes back from the blob (what the workflow
    sees, live and on replay alike). Raises ResultError when the value cannot be
    pickled or is over the size limit.
    """
    if ok and type(value) in _ATOMIC:
        blob = pickle.dumps((True, value))
        if len(blob) <= MAX_VALUE_BYTES:
            return blob, value
    if not ok:
        frames = activity_frames(value)
        value = picklable_exception(value)
    elif isinstance(value, BaseException):
        set_exception_args(value)
    try:
        blob = dumps((ok, value) if ok else (ok, value, frames))
    except Exception as err:
        raise unpicklable(name, value, err, "pickled") from None
    try:
        _, restored = unpack(blob)
    except Exception as err:
        # As AutoKitteh, the session's prints show only the advice for this one.
        failed = "restored from its pickle"
        advice = pickle_advice(name, value, failed).strip("\n")
        raise unpicklable(name, value, err, failed, advice) from None
    if len(blob) > MAX_VALUE_BYTES:
        raise ResultError(
            f"error: the result of activity {name!r} ({type_name(value)}) is "
            f"{format_size(len(blob))} pickled, over the 1 MiB limit. Return less data "
            "from the activity (for example, only the fields you need)."
        )
    return blob, restored


def pickle_advice(name: str, value: Any, failed: str) -> str:
    what = f"activity {name!r} returned a value of type {type_name(value)} that cannot be {failed}"
    return PICKLE_ADVICE.format(rule=RULE, what=what)


def unpicklable(
    name: str, value: Any, err: BaseException, failed: str, printed: str | None = None
) -> ResultError:
    """AutoKitteh's layout begins ``error processing result - <repr>``, then Pounce's advice
    (the error and its traceback follow: tracebacks.result_error_text)."""
    return ResultError(
        f"error: error processing result - {err!r}{pickle_advice(name, value, failed)}",
        printed,
        err,
    )


# The frames an activity's exception was raised through, kept on the exception that
# the workflow sees so that its traceback shows them (tracebacks.describe).
FRAMES_ATTR = "_pounce_activity_frames"
MAX_FRAMES = 50


def activity_frames(err: BaseException) -> list[tuple[str, int, str, str]]:
    stack = traceback.extract_tb(err.__traceback__)[-MAX_FRAMES:]
    return [(f.filename, f.lineno or 0, f.name, f.line or "") for f in stack]


def unpack(blob: bytes) -> tuple[bool, Any]:
    ok, value, *rest = pickle.loads(blob)
    if not ok and rest and isinstance(value, BaseException):
        try:
            setattr(value, FRAMES_ATTR, rest[0])
        except Exception:
            pass  # an exception that refuses attributes keeps the call-site traceback
    return bool(ok), value
