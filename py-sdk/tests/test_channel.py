"""A runner whose daemon hung up starts no activity (Channel.check_daemon); the watcher
thread notices a hang-up once started."""

import socket
import time

from pounce.runner.channel import IDLE_S, Channel
from pounce.runner.wire import Conn


def channel() -> tuple[Channel, socket.socket, list[str]]:
    ours, theirs = socket.socketpair()
    lost: list[str] = []
    return Channel(Conn(ours), on_lost=lambda: lost.append("lost")), theirs, lost


def test_a_live_daemon_is_left_alone():
    chan, theirs, lost = channel()
    chan.check_daemon()
    theirs.sendall(b"\x00")  # a frame on its way is not a hang-up
    chan.check_daemon()
    assert lost == []
    theirs.close()


def test_a_daemon_that_hung_up_ends_the_runner():
    chan, theirs, lost = channel()
    theirs.close()
    chan.check_daemon()
    assert lost == ["lost"]


def test_a_parked_watcher_reads_nothing_until_started():
    """A spare runner starts its watcher while it waits for ``start`` (which its main
    thread reads): parked, the watcher leaves the socket alone; started, it watches."""
    chan, theirs, lost = channel()
    chan.park_reader()
    theirs.close()
    time.sleep(IDLE_S * 3)
    assert lost == []  # the main thread would have read the hang-up
    chan.start_reader()
    deadline = time.monotonic() + 5
    while not lost and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lost == ["lost"]
