"""Requests and answers over the wire, once the session has started.

A thread waiting for an answer reads the socket itself (one at a time: the others wait
for the reader to hand them their answer, or the reading), so an answer wakes the thread
that waits for it and no other. While no request is made, a watcher thread reads instead:
it ends the process on ``stop`` or when the daemon goes away (a runner never outlives its
daemon).
"""

import _thread
import itertools
import os
import select
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from pounce.errors import AutoKittehError

from .wire import Conn, WireError

# The watcher reads only after this long without a request (checking again as often).
IDLE_S = 0.05


class Channel:
    def __init__(self, conn: Conn, on_lost: Callable[[], None] | None = None) -> None:
        self.conn = conn
        self.on_lost = on_lost or _exit_lost
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # guards what follows
        # id -> [lock released to wake its thread, answer header, woken]
        self._waiting: dict[int, list] = {}
        self._reading = False  # a thread is reading the socket
        self._lost = False
        self._last_request = 0.0
        self._parked: Any = None  # the lock a parked watcher waits on

    def park_reader(self) -> None:
        """Start the watcher thread now, waiting until ``start_reader``: a runner waiting
        for its session pays for the thread before the session, not on its way."""
        lock = _thread.allocate_lock()
        lock.acquire()
        self._parked = lock
        _thread.start_new_thread(self._unpark, (lock,))

    def start_reader(self) -> None:
        if self._parked is not None:
            self._parked.release()
            self._parked = None
            return
        # Not threading.Thread: its start() waits until the new thread has run, up to a
        # millisecond on a busy machine, on every session's way to its first line.
        _thread.start_new_thread(self._watch, ())

    def _unpark(self, lock: Any) -> None:
        lock.acquire()
        self._watch()

    def post(self, header: dict[str, Any], blob: bytes = b"") -> None:
        """Send a message that has no answer."""
        try:
            self.conn.send(header, blob)
        except OSError:
            self.on_lost()

    def check_daemon(self) -> None:
        """End the process (``on_lost``) if the daemon has hung up already.

        Called before an activity runs: a runner whose daemon died (and whose watcher has
        not seen it yet, e.g. on a starved machine) must not start a step that the node
        now running the session may already have run and committed.
        """
        if self.conn.buffered() or not _readable_now(self.conn.sock):
            return
        try:
            hung_up = self.conn.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return
        except OSError:
            hung_up = True
        if hung_up:
            with self._lock:
                self._lost = True
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
        """Send a request (``header`` gets its ``id``) and block until the daemon answers;
        the ``ok``/``fail`` header."""
        wake = threading.Lock()
        wake.acquire()
        slot: list = [wake, None, False]
        with self._lock:
            rid = next(self._ids)
            self._waiting[rid] = slot
            self._last_request = time.monotonic()
        header["id"] = rid
        try:
            self.post(header, blob)
        except BaseException:
            with self._lock:
                self._waiting.pop(rid, None)
            raise
        while True:
            with self._lock:
                if slot[1] is not None:
                    return slot[1]
                if self._lost:
                    raise AutoKittehError("lost the connection to the daemon")
                lead = not self._reading
                if lead:
                    self._reading = True
            if lead:
                self._read_until(slot)
            else:  # woken with the answer, or to take over the reading
                wake.acquire()
                with self._lock:
                    slot[2] = False

    def _read_until(self, slot: list | None) -> None:
        """As the reader: read frames until ``slot`` is answered (None: one frame), then
        hand the reading to a thread still waiting."""
        try:
            while True:
                try:
                    header, _ = self.conn.recv()
                except (WireError, OSError):
                    with self._lock:
                        self._lost = True
                    self.on_lost()
                    return
                self._dispatch(header)
                if slot is None or slot[1] is not None:
                    return
        finally:
            self._leave()

    def _leave(self) -> None:
        """Stop reading; wake a thread still waiting, to read (all of them, if lost)."""
        with self._lock:
            self._reading = False
            for other in self._waiting.values():
                _wake(other)
                if not self._lost:
                    break

    def _dispatch(self, header: dict[str, Any]) -> None:
        kind = header["t"]
        if kind == "stop":
            _flush()
            os._exit(0)
        if kind in ("ok", "fail"):
            with self._lock:
                slot = self._waiting.pop(header.get("id"), None)
                if slot is not None:
                    slot[1] = header
                    _wake(slot)
        # Anything else is ignored: a newer daemon may send messages we do not know.

    def _watch(self) -> None:
        sock = self.conn.sock
        while not self._lost:
            with self._lock:
                idle = (
                    not self._reading
                    and not self._waiting
                    and time.monotonic() - self._last_request >= IDLE_S
                )
            if not idle:
                time.sleep(IDLE_S)
                continue
            if not self.conn.buffered():
                try:
                    readable, _, _ = select.select([sock], [], [], IDLE_S)
                except (OSError, ValueError):
                    readable = [sock]  # closed: the read below says so
                if not readable:
                    continue
            with self._lock:
                if self._reading or self._waiting:
                    continue  # a request came meanwhile: its thread reads
                self._reading = True
            if not self.conn.buffered() and not _readable_now(sock):
                self._leave()
                continue
            self._read_until(None)


def _wake(slot: list) -> None:
    """Under the channel's lock: wake the slot's thread (once until it wakes)."""
    if not slot[2]:
        slot[2] = True
        slot[0].release()


def _readable_now(sock: Any) -> bool:
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


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
