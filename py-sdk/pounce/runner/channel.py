"""Requests and answers over the wire, once the session has started.

A reader thread owns the receiving side: it hands ``ok``/``fail`` answers to the thread
waiting on that request id, and ends the process on ``stop`` or when the daemon goes
away (a runner never outlives its daemon).
"""

import itertools
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from pounce.errors import AutoKittehError

from .wire import Conn, WireError


class Channel:
    def __init__(self, conn: Conn, on_lost: Callable[[], None] | None = None) -> None:
        self.conn = conn
        self.on_lost = on_lost or _exit_lost
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._waiting: dict[int, list] = {}  # id -> [lock held until answered, answer header]
        self._reader: threading.Thread | None = None

    def start_reader(self) -> None:
        self._reader = threading.Thread(target=self._read_loop, name="pounce-reader", daemon=True)
        self._reader.start()

    def post(self, header: dict[str, Any], blob: bytes = b"") -> None:
        """Send a message that has no answer."""
        try:
            self.conn.send(header, blob)
        except OSError:
            self.on_lost()

    def request(self, header: dict[str, Any], blob: bytes = b"") -> dict[str, Any]:
        """Send a request and block until the daemon answers it.

        Returns the ``ok`` header; a ``fail`` answer raises AutoKittehError(error).
        """
        answer = self.exchange(header, blob)
        if answer["t"] == "fail":
            raise AutoKittehError(str(answer.get("error") or "request failed"))
        return answer

    def exchange(self, header: dict[str, Any], blob: bytes = b"") -> dict[str, Any]:
        """Send a request and block until the daemon answers; the ``ok``/``fail`` header."""
        answered = threading.Lock()  # lighter than an Event: released by the reader
        answered.acquire()
        slot: list = [answered, None]
        with self._lock:
            rid = next(self._ids)
            self._waiting[rid] = slot
        header["id"] = rid
        try:
            self.post(header, blob)
        except BaseException:
            with self._lock:
                self._waiting.pop(rid, None)
            raise
        answered.acquire()
        return slot[1]

    def _read_loop(self) -> None:
        while True:
            try:
                header, _ = self.conn.recv()
            except (WireError, OSError):
                self.on_lost()
                return
            kind = header["t"]
            if kind == "stop":
                _flush()
                os._exit(0)
            if kind in ("ok", "fail"):
                with self._lock:
                    slot = self._waiting.pop(header.get("id"), None)
                if slot is not None:
                    slot[1] = header
                    slot[0].release()
            # Anything else is ignored: a newer daemon may send messages we do not know.


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _exit_lost() -> None:
    _flush()
    try:
        os.write(2, b"pounce-runner: lost the connection to the daemon, exiting\n")
    except OSError:
        pass
    os._exit(1)
