"""A runner whose daemon hung up starts no activity (Channel.check_daemon)."""

import socket

from pounce.runner.channel import Channel
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
