import json
import os
import pickle
import sys
import threading

import pytest

from pounce.errors import AutoKittehError
from pounce.runner import results
from pounce.runner.results import ResultError, pack, picklable_exception
from pounce.runner.tracebacks import result_error_text

# This file's directory stands for the session's code.
CODE_DIR = os.path.dirname(os.path.realpath(__file__))


class TwoArgError(Exception):
    def __init__(self, code, detail):
        super().__init__(f"failed with {code}")
        self.code = code
        self.detail = detail


class HoldsLock(Exception):
    def __init__(self, msg):
        super().__init__(msg)
        self.lock = threading.Lock()


def test_pack_round_trips_values():
    big = 2**200
    blob, value = pack(True, {"n": big}, "f")
    assert value == {"n": big}
    assert pickle.loads(blob) == (True, {"n": big})


def test_unpicklable_value_names_type_and_suggests_activity():
    with pytest.raises(ResultError) as info:
        pack(True, threading.Lock(), "allocate_lock")
    text = str(info.value)
    assert "_thread.lock" in text
    assert "error processing result - " in text
    assert "@autokitteh.activity" in text
    assert "activity 'allocate_lock'" in text


def test_unpicklable_local_function_names_type():
    def local():
        pass

    with pytest.raises(ResultError, match="function"):
        pack(True, local, "make")


def test_size_limit():
    with pytest.raises(ResultError, match="over the 1 MiB limit"):
        pack(True, b"x" * (results.MAX_VALUE_BYTES + 1), "big")
    pack(True, b"x" * (results.MAX_VALUE_BYTES - 100), "fits")


def test_exception_args_fixed_to_unpickle():
    err = TwoArgError(7, {"k": 1})
    _, restored = pack(False, err, "f")
    assert type(restored) is TwoArgError
    assert restored.code == 7 and restored.detail == {"k": 1}
    assert str(restored) == "failed with 7"


def test_unpicklable_exception_attributes_become_none():
    err = HoldsLock("nope")
    fixed = picklable_exception(err)
    assert type(fixed) is HoldsLock
    assert fixed.lock is None and str(fixed) == "nope"
    _, restored = pack(False, err, "f")
    assert type(restored) is HoldsLock


def test_unrestorable_exception_becomes_autokitteh_error():
    class Local(Exception):
        pass

    fixed = picklable_exception(Local("x"))
    assert type(fixed) is AutoKittehError
    assert "Local('x')" in str(fixed)


def test_banners():
    missing = results.banners(ModuleNotFoundError("No module named 'x.y'"))
    assert 'The Python module "x" is not installed' in missing
    assert "requirements.txt next to autokitteh.yaml" in missing
    assert "autokitteh.com" not in missing and "Self hosted" not in missing
    assert '"requests"' in results.banners(ImportError("No module named 'requests'"))
    assert "it imports" in results.banners(ModuleNotFoundError())
    assert "@autokitteh.activity" in results.banners(TypeError("cannot pickle 'x' object"))
    assert results.banners(ValueError("x")) == ""


def test_exception_keeps_the_frames_it_was_raised_through():
    def inner():
        raise ValueError("deep")

    try:
        inner()
    except ValueError as err:
        blob, restored = pack(False, err, "inner")
    assert restored.__traceback__ is None
    names = [name for _, _, name, _ in getattr(restored, results.FRAMES_ATTR)]
    assert names[-1] == "inner"
    ok, replayed = results.unpack(blob)
    assert not ok and getattr(replayed, results.FRAMES_ATTR)[-1][3] == 'raise ValueError("deep")'


def test_banners_on_the_default_environment(tmp_path, monkeypatch):
    hints = {"missing": {"slack_sdk": {"package": "slack-sdk", "reason": "No matching dist"}}}
    (tmp_path / results.BATTERIES_HINTS).write_text(json.dumps(hints))
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
    lacking = results.banners(ModuleNotFoundError("No module named 'slack_sdk.web'"))
    assert "default environment\nlacks its package slack-sdk (No matching dist)" in lacking
    assert 'Add "slack-sdk" to requirements.txt' in lacking
    other = results.banners(ModuleNotFoundError("No module named 'numpy'"))
    assert 'The Python module "numpy" is not installed' in other
    assert "default environment, which this project uses" in other
    assert other.rstrip().endswith(results.RULE)


def test_unpicklable_result_reads_as_autokitteh_prints_it():
    with pytest.raises(ResultError) as info:
        pack(True, threading.Lock(), "allocate_lock")
    lines = result_error_text(info.value, CODE_DIR).split("\n")
    assert (
        lines[0]
        == "error: error processing result - TypeError(\"cannot pickle '_thread.lock' object\")"
    )
    assert lines[1] == "=" * 103
    assert lines[2].endswith("that cannot be pickled, so it cannot be journaled.")
    assert lines[6:] == [
        "",
        "error: TypeError(\"cannot pickle '_thread.lock' object\")",
        "",
        "TypeError: cannot pickle '_thread.lock' object",
    ]
    assert info.value.printed is None  # the prints show all of it


class _Unrestorable:
    def __reduce__(self):
        return (_explode, ())


def _explode():
    raise RecursionError("maximum recursion depth exceeded")


class _Unpicklable:
    def __reduce__(self):
        raise TypeError("cannot pickle '_Unpicklable' object")


def test_unpicklable_result_traceback_shows_the_user_frames_only():
    with pytest.raises(ResultError) as info:
        pack(True, _Unpicklable(), "make")
    text = result_error_text(info.value, CODE_DIR)
    trace = text[text.index("Traceback (most recent call last):") :].split("\n")
    assert trace[1].startswith(f'  File "{__file__}"') and trace[1].endswith("in __reduce__")
    assert trace[-1] == "TypeError: cannot pickle '_Unpicklable' object"
    assert "pounce/runner" not in text  # the runner's frames are left out
    assert result_error_text(ResultError("too big"), CODE_DIR) == "too big"


def test_unrestorable_result_prints_only_the_advice():
    with pytest.raises(ResultError) as info:
        pack(True, _Unrestorable(), "get")
    assert "error processing result - RecursionError(" in result_error_text(info.value, CODE_DIR)
    printed = info.value.printed
    assert printed is not None and printed.startswith("=" * 103)
    assert "cannot be restored from its pickle, so it cannot be journaled." in printed
    assert "RecursionError" not in printed


def test_atomic_results_pickle_as_any_other():
    for value in (5, 2**100, 1.5, "x", b"y", True, None):
        blob, restored = results.pack(True, value, "f")
        assert blob == results.dumps((True, value)) and restored == value
        assert results.unpack(blob) == (True, value)
