"""When an activity's ``call`` frame is sent (docs/protocol.md).

A quick activity sends no ``call``: its ``result`` carries the call, one frame per step.
An activity still running after ``DELAY`` seconds has its ``call`` sent by a helper
thread, so that the session's log shows it while it runs; so does one that prints or makes
a syscall (``flush``), so that the log shows the call before what it does.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

DELAY = 0.05


class CallNotice:
    def __init__(self, post: Callable[[dict[str, Any]], None], delay: float = DELAY) -> None:
        self._post = post
        self._delay = delay
        self._cond = threading.Condition(threading.Lock())
        self._pending: dict[str, Any] | None = None
        self._due = 0.0
        self._thread: threading.Thread | None = None
        self._idle = False

    def arm(self, header: dict[str, Any]) -> None:
        """An activity starts: its ``call`` header, sent if it runs for long."""
        with self._cond:
            self._pending = header
            self._due = time.monotonic() + self._delay
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pounce-call-notice", daemon=True
                )
                self._thread.start()
            elif self._idle:
                self._cond.notify()

    def flush(self) -> None:
        """Send the running activity's ``call`` now, if it was not sent."""
        if self._pending is None:  # unlocked peek: the common case, nothing to send
            return
        with self._cond:
            self._send()

    def disarm(self) -> bool:
        """The activity ended: True if its ``call`` was sent (then ``result`` need not
        carry it). Once this returns, the ``call`` will not be sent."""
        with self._cond:
            sent = self._pending is None
            self._pending = None
            return sent

    def _send(self) -> None:
        # Under the lock, so that disarm() returns only after a call being sent is sent.
        header, self._pending = self._pending, None
        if header is not None:
            self._post(header)

    def _run(self) -> None:
        with self._cond:
            while True:
                if self._pending is None:
                    self._idle = True
                    self._cond.wait()
                    self._idle = False
                    continue
                left = self._due - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._send()
