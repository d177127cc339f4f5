"""Decorators that steer which calls run as durable activities (durable sessions only)."""

import sys
from collections.abc import Callable, Iterable

# Marker attribute: True = always an activity, False = never (internal).
ACTIVITY_ATTR = "__pounce_activity__"
INHIBIT_ACTIVITIES_ATTR = "__pounce_inhibit_activities__"

_no_activity: set = set()

# The code of @activity functions: a non-durable session does not rewrite calls, so
# it finds whether it runs inside one by the code objects on the stack.
_activity_codes: set = set()


def activity(fn: Callable) -> Callable:
    """Run every call of ``fn`` as a single activity (sync or ``async def``).

    Use it for functions whose arguments or results are not picklable, or to group
    several I/O calls into one journaled step. Calls made inside an activity run
    plainly (no nested activities). Outside a durable session it runs plainly, but
    next_event, next_signal and subscribe are refused inside it there too.
    """
    setattr(fn, ACTIVITY_ATTR, True)
    code = getattr(fn, "__code__", None)
    if code is not None:
        _activity_codes.add(code)
    return fn


def inside_marked_activity() -> bool:
    """Whether an @activity function is on the current thread's stack."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code in _activity_codes:
            return True
        frame = frame.f_back
    return False


def inhibit_activities(fn: Callable) -> Callable:
    """Run everything called by ``fn`` plainly, never as activities (stackable).

    The calls re-run on every replay, so keep them quick and deterministic
    (creating clients and the like).
    """
    setattr(fn, INHIBIT_ACTIVITIES_ATTR, True)
    return fn


def register_no_activity(functions: Iterable[Callable]) -> None:
    """Never run these functions (or methods of these classes) as activities."""
    _no_activity.update(functions)


def mark_no_activity(fn: Callable) -> Callable:
    """Internal: never run ``fn`` as an activity, even if it would otherwise be one."""
    setattr(fn, ACTIVITY_ATTR, False)
    return fn


def activity_marker(fn: object) -> bool | None:
    """True / False for marked functions, None when unmarked."""
    try:
        mark = getattr(fn, ACTIVITY_ATTR, None)
    except Exception:
        return None
    return mark if mark is True or mark is False else None


def is_inhibitor(fn: object) -> bool:
    try:
        return getattr(fn, INHIBIT_ACTIVITIES_ATTR, False) is True
    except Exception:
        return False
