"""Tracebacks as the user should see them: from their first frame on, without ours."""

import os
import traceback
from traceback import FrameSummary, StackSummary, TracebackException

from .results import FRAMES_ATTR, ResultError, banners, safe_repr

# Frames from these directories (the SDK and the runner) are hidden.
_SDK_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
_SDK_DIRS = tuple(os.path.join(_SDK_ROOT, name) + os.sep for name in ("pounce", "autokitteh"))


def _real(path: str) -> str:
    if not os.path.isabs(path):  # "<frozen runpy>", "<string>", ...
        return path
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return path


def user_frames(stack: list[FrameSummary], code_dir: str) -> list[FrameSummary]:
    """Frames from the first one in ``code_dir`` on, skipping SDK/runner frames."""
    prefix = code_dir.rstrip(os.sep) + os.sep
    out: list[FrameSummary] = []
    started = False
    for frame in stack:
        path = _real(frame.filename)
        if not started:
            if not path.startswith(prefix):
                continue
            started = True
        if path.startswith(_SDK_DIRS) or path.startswith("<frozen importlib"):
            continue
        out.append(frame)
    return out


def frame_dicts(frames: list[FrameSummary]) -> list[dict]:
    return [
        {"file": f.filename, "line": f.lineno or 0, "name": f.name, "code": f.line or ""}
        for f in frames
    ]


def _stack(te: TracebackException, err: BaseException | None) -> list[FrameSummary]:
    """The frames of ``te``, followed by those inside the activity that raised ``err``
    (an exception restored from the journal has no traceback of its own there)."""
    stack = list(te.stack)
    recorded = getattr(err, FRAMES_ATTR, None) if err is not None else None
    if isinstance(recorded, list):
        for item in recorded:
            try:
                file, line, name, code = item
                stack.append(FrameSummary(file, line, name, line=code, lookup_line=False))
            except (TypeError, ValueError):
                continue
    return stack


def _filter(
    te: TracebackException, err: BaseException | None, code_dir: str, seen: set[int]
) -> None:
    if id(te) in seen:
        return
    seen.add(id(te))
    te.stack = StackSummary.from_list(user_frames(_stack(te, err), code_dir))
    for nested, cause in (
        (te.__cause__, err and err.__cause__),
        (te.__context__, err and err.__context__),
    ):
        if nested is not None:
            _filter(nested, cause, code_dir, seen)


def describe(err: BaseException, code_dir: str, prefix: str = "") -> tuple[str, list[dict]]:
    """The ``done`` error text and traceback frames for an exception: ``prefix``, help
    banners, ``error: <repr>``, a blank line and the traceback of user frames (AutoKitteh's
    layout: "can't load main from <dir> - ", the banner, then the error)."""
    te = TracebackException.from_exception(err)
    frames = user_frames(_stack(te, err), code_dir)
    _filter(te, err, code_dir, set())
    text = prefix + banners(err) + f"error: {safe_repr(err)}\n\n" + "".join(te.format())
    return text.rstrip("\n"), frame_dicts(frames)


def result_error_text(err: ResultError, code_dir: str) -> str:
    """The error text of a session failed by an activity result that cannot be journaled:
    the ResultError's text, then (for one that did not pickle) AutoKitteh's ``error:
    <repr>``, a blank line and the pickling error's traceback of user frames."""
    if err.error is None:
        return str(err)
    te = TracebackException.from_exception(err.error)
    te.stack = StackSummary.from_list(user_frames(list(te.stack), code_dir))
    trace = "".join(te.format(chain=False))
    return f"{err}\nerror: {err.error!r}\n\n{trace}".rstrip("\n")


def current_frames(code_dir: str) -> list[dict]:
    """User frames of the current call stack (for errors raised by the runner itself)."""
    return frame_dicts(user_frames(list(traceback.extract_stack()), code_dir))
