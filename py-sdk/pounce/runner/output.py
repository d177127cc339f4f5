"""Session prints: ``print`` and ``logging`` records become ``print`` messages."""

import builtins
import io
import logging
import sys
from collections.abc import Callable
from typing import Any

from pounce.activities import mark_no_activity

from .frames import RunnerPrint

_real_print = builtins.print
MAX_PRINT_CHARS = 1 << 20  # longer prints are cut (a frame is at most 16 MiB)
LOG_FORMAT = "%(levelname)s:%(name)s:%(message)s"  # logging.basicConfig's default


class Output:
    """Sends one ``print`` message per print call / log record.

    ``seq_of`` tells whether to send (not while replaying) and the activity seq.
    """

    def __init__(self, post: Callable[[dict], None], seq_of: Callable[[], tuple]) -> None:
        self.post = post
        self.seq_of = seq_of

    def send(self, text: str) -> None:
        if text.endswith("\n"):
            text = text[:-1]
        if len(text) > MAX_PRINT_CHARS:
            text = text[:MAX_PRINT_CHARS] + " ... (cut)"
        send, seq = self.seq_of()
        if not send:
            return
        msg: RunnerPrint = {"t": "print", "text": text}
        if seq is not None:
            msg["seq"] = seq
        self.post(msg)

    def install(self) -> None:
        builtins.print = self.make_print()
        root = logging.getLogger()
        handler = SessionLogHandler(self)
        root.addHandler(handler)
        _patch_basic_config(handler)

    def make_print(self) -> Callable[..., None]:
        def session_print(
            *objects: Any, sep: Any = " ", end: Any = "\n", file: Any = None, flush: bool = False
        ) -> None:
            if file is not None and file not in _console():
                _real_print(*objects, sep=sep, end=end, file=file, flush=flush)
                return
            buf = io.StringIO()
            _real_print(*objects, sep=sep, end=end, file=buf)
            text = buf.getvalue()
            # Still written to the real stream (the runner's own stdout/stderr).
            _real_print(text, end="", file=file if file is not None else sys.stdout, flush=flush)
            self.send(text)

        session_print.__doc__ = _real_print.__doc__
        return mark_no_activity(session_print)


def _console() -> tuple:
    return (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)


class SessionLogHandler(logging.Handler):
    """Root handler: records become prints formatted ``LEVEL:name:message``."""

    def __init__(self, out: Output) -> None:
        super().__init__()
        self.out = out
        self.setFormatter(logging.Formatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            try:
                sys.stderr.write(text + "\n")
            except Exception:
                pass
            self.out.send(text)
        except Exception:
            self.handleError(record)


def _patch_basic_config(handler: SessionLogHandler) -> None:
    """``logging.basicConfig()`` is a no-op once the root logger has a handler; make it
    still apply ``level`` and ``format`` (to our handler), as if it had created it."""
    original = logging.basicConfig

    def basicConfig(**kwargs: Any) -> None:  # noqa: N802 - logging's name
        root = logging.getLogger()
        if handler not in root.handlers or kwargs.get("force"):
            original(**kwargs)
            return
        if any(k in kwargs for k in ("filename", "stream", "handlers")):
            # Let it add its own handlers, and keep ours.
            root.removeHandler(handler)
            try:
                original(**kwargs)
            finally:
                root.addHandler(handler)
            return
        if "level" in kwargs:
            root.setLevel(kwargs["level"])
        if any(k in kwargs for k in ("format", "datefmt", "style")):
            style = kwargs.get("style", "%")
            fmt = kwargs.get("format", logging._STYLES[style][1])
            handler.setFormatter(logging.Formatter(fmt, kwargs.get("datefmt"), style))

    basicConfig.__doc__ = original.__doc__
    logging.basicConfig = basicConfig
