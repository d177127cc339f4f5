import builtins
import logging
import sys

import pytest

from pounce.runner.output import Output


@pytest.fixture
def captured(monkeypatch):
    sent = []
    state = {"send": True, "seq": None}
    out = Output(sent.append, lambda: (state["send"], state["seq"]))
    real_print = builtins.print
    root = logging.getLogger()
    handlers, level, basic = list(root.handlers), root.level, logging.basicConfig
    root.handlers[:] = []  # as in a fresh runner process (pytest adds its own)
    out.install()
    yield sent, state
    builtins.print = real_print
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.basicConfig = basic


def test_print_becomes_messages(captured, capsys):
    sent, state = captured
    print("a", 1, sep="-")
    print("to err", file=sys.stderr)
    print("no newline", end="")
    state["seq"] = 4
    print("inside")
    state["send"] = False
    print("replaying")
    assert sent == [
        {"t": "print", "text": "a-1"},
        {"t": "print", "text": "to err"},
        {"t": "print", "text": "no newline"},
        {"t": "print", "text": "inside", "seq": 4},
    ]
    out = capsys.readouterr()
    assert "a-1\n" in out.out and "to err\n" in out.err


def test_print_to_file_is_not_a_message(captured, tmp_path):
    sent, _ = captured
    with open(tmp_path / "f.txt", "w") as fp:
        print("into file", file=fp)
    assert sent == []
    assert (tmp_path / "f.txt").read_text() == "into file\n"


def test_logging_records(captured):
    sent, _ = captured
    logging.getLogger("x").warning("hello %s", "there")
    logging.getLogger("x").info("hidden at WARNING")
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("y").info("shown")
    assert [m["text"] for m in sent] == ["WARNING:x:hello there", "INFO:y:shown"]
