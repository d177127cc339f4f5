import os
import socket
import sys
import threading

import pytest

SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if SDK_DIR not in sys.path:
    sys.path.insert(0, SDK_DIR)

from pounce import syscall  # noqa: E402
from pounce.runner.channel import Channel  # noqa: E402
from pounce.runner.gate import Gate, Journal, Step  # noqa: E402
from pounce.runner.wire import Conn, WireError  # noqa: E402


class FakeDaemon:
    """The daemon's end of a socketpair: records frames, answers requests with ``ok``."""

    def __init__(self, sock: socket.socket) -> None:
        self.conn = Conn(sock)
        self.frames: list[tuple[dict, bytes]] = []
        self.fail_next: str | None = None
        # reply(header) -> the ``value`` of the ``ok`` answer to a syscall.
        self.reply = lambda header: None
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            try:
                header, blob = self.conn.recv()
            except (WireError, OSError):
                return
            self.frames.append((header, blob))
            if "id" in header:
                if self.fail_next is not None:
                    self.conn.send({"t": "fail", "id": header["id"], "error": self.fail_next})
                    self.fail_next = None
                elif header["t"] == "syscall":
                    value = self.reply(header)
                    self.conn.send({"t": "ok", "id": header["id"], "value": value})
                else:
                    self.conn.send({"t": "ok", "id": header["id"]})

    def headers(self, kind: str | None = None) -> list[dict]:
        return [h for h, _ in self.frames if kind is None or h["t"] == kind]

    def calls(self) -> list[dict]:
        """The activity calls made: ``call`` frames, and ``result`` frames that carry
        their call (a quick activity sends no ``call``)."""
        return [
            h for h, _ in self.frames if h["t"] == "call" or (h["t"] == "result" and "args" in h)
        ]


class Fatal(Exception):
    pass


@pytest.fixture
def make_gate(tmp_path):
    """make_gate(steps=(), durable=True) -> (gate, daemon); code dir is tmp_path."""
    made = []

    def make(steps=(), durable=True):
        ours, theirs = socket.socketpair()
        daemon = FakeDaemon(theirs)
        chan = Channel(Conn(ours), on_lost=lambda: None)
        chan.start_reader()

        def fatal(text, printed=None):
            raise Fatal(text)

        gate = Gate(chan, str(tmp_path), durable, Journal([Step(**s) for s in steps]), fatal)
        syscall.set_handler(gate.syscall)
        made.append((ours, theirs))
        return gate, daemon

    yield make
    syscall.set_handler(None)
    for a, b in made:
        a.close()
        b.close()


@pytest.fixture
def provider():
    """provider(routes) -> a FakeProvider on 127.0.0.1, closed after the test."""
    from fake_provider import FakeProvider

    made = []

    def make(routes):
        fake = FakeProvider(routes)
        made.append(fake)
        return fake

    yield make
    for fake in made:
        fake.close()


@pytest.fixture
def daemon_refuses_refresh(monkeypatch):
    """The daemon answers refresh_oauth with a refusal (as when the provider refuses)."""
    from autokitteh import _oauth
    from pounce.errors import OAuthRefreshError

    def refuse(name, integration, connection):
        raise OAuthRefreshError(connection, f"{integration} token refresh not available")

    monkeypatch.setattr(_oauth, "_syscall", refuse)
