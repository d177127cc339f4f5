"""The call gate of durable sessions: which calls are activities, running them, replay.

Transformed user code calls ``call(fn, *args, **kw)`` (``await acall(...)`` for awaited
calls) instead of ``fn(*args, **kw)``. A call runs plainly unless it is an activity:
then it becomes a numbered journal step, replayed from the journal when recorded.
"""

import asyncio
import functools
import inspect
import json
import os
import sys
import threading
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pounce.activities import _no_activity, activity_marker, inside_marked_activity, is_inhibitor
from pounce.errors import AutoKittehError

from . import results, tracebacks
from .call_notice import CallNotice
from .deterministic import defining_class, is_deterministic
from .frames import RunnerCall, RunnerResult, RunnerSyscall

SDK_PACKAGES = ("pounce", "autokitteh")

# Syscalls refused inside activities, and those only durable sessions have.
NOT_IN_ACTIVITIES = frozenset({"subscribe", "next_event", "next_signal"})
DURABLE_ONLY = frozenset({"next_signal"})
# Answers that must be fresh on every run, never replayed from the journal (an OAuth token
# recorded in the journal would have expired by the time a replay reads it).
NOT_JOURNALED = frozenset({"refresh_oauth"})


@dataclass
class Step:
    """One recorded journal step (an entry of a ``journal`` frame)."""

    seq: int
    kind: str
    name: str
    error: bool = False
    done: bool = True
    blob: bytes = b""
    value: Any = None  # syscalls: the recorded JSON result

    @classmethod
    def from_frame(cls, header: dict, blob: bytes) -> list["Step"]:
        """The steps of one ``journal`` frame: each entry's ``size`` bytes of the blob, in
        order, are its recorded pickle; absent fields have their default."""
        steps = []
        at = 0
        for entry in header["steps"]:
            get = entry.get
            size = get("size", 0)
            steps.append(
                cls(
                    int(entry["seq"]),
                    str(entry["kind"]),
                    str(entry["name"]),
                    get("error") is True,
                    get("done") is not False,
                    blob[at : at + size] if size else b"",
                    get("value"),
                )
            )
            at += size
        return steps


class NonDeterminismError(Exception):
    pass


class Journal:
    """The replay cursor: hands out step numbers and the recorded step for each.

    ``printed`` is how many workflow prints (made outside activities) earlier runs have
    logged: the replay makes the same prints again, and those are not sent. Without it,
    the prints made before the last recorded step are the ones not sent.
    """

    def __init__(self, steps: list[Step], printed: int | None = None) -> None:
        self.steps = {s.seq: s for s in steps}
        self.last = max(self.steps, default=0)  # number of recorded steps
        self.seq = 0  # last step number handed out
        self.printed = printed
        self.prints = 0  # workflow prints made by this run

    def print_is_new(self) -> bool:
        """Count a workflow print; False if an earlier run has logged it already."""
        self.prints += 1
        if self.printed is not None:
            return self.prints > self.printed
        return not self.replaying

    @property
    def replaying(self) -> bool:
        """True until the code has caught up with the recorded steps."""
        return self.seq < self.last

    def next(self, kind: str, name: str | None) -> Step | None:
        """The next step number's record (None if not recorded); ``name`` None compares
        the kind only (syscalls)."""
        self.seq += 1
        step = self.steps.get(self.seq)
        if step is not None and (step.kind != kind or (name is not None and step.name != name)):
            raise NonDeterminismError(
                f"non-determinism at step {self.seq}: journal has "
                f"{_what(step.kind, step.name)}, code called {_what(kind, name)}"
            )
        return step

    def unfinished(self) -> str | None:
        """The error text if the code ended before reaching every recorded step."""
        if not self.replaying:
            return None
        step = self.steps.get(self.seq + 1)
        what = _what(step.kind, step.name) if step else "more steps"
        return (
            f"non-determinism at step {self.seq + 1}: journal has {what}, "
            "code ended without calling it"
        )


def _what(kind: str, name: str | None) -> str:
    """``activity 'foo'``, ``sleep``, ``next_event``."""
    return kind if not name or name == kind else f"{kind} {name!r}"


def callable_name(fn: Any) -> str:
    for attr in ("__qualname__", "__name__"):
        name = getattr(fn, attr, None)
        if isinstance(name, str) and name:
            return name
    return type(fn).__name__


def activity_name(fn: Any) -> str:
    """Last dotted part of ``module.qualname`` (``randrange``, ``Request``, ``foo``)."""
    if isinstance(fn, functools.partial):
        fn = fn.func
    return callable_name(fn).rsplit(".", 1)[-1]


def _is_async(fn: Any) -> bool:
    if isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__func__", None)
    )


# (activity name, is async) of plain functions, which do not change: a replay asks it for
# every step. Bounded: functions made in a loop are new objects each time.
_described: dict[Any, tuple[str, bool]] = {}


def _describe(fn: Any) -> tuple[str, bool]:
    if type(fn) is not types.FunctionType:
        return activity_name(fn), _is_async(fn)
    known = _described.get(fn)
    if known is None:
        if len(_described) >= 4096:
            _described.clear()
        known = _described[fn] = (activity_name(fn), _is_async(fn))
    return known


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


async def _ready(value: Any) -> Any:
    return value


def resolve(value: Any) -> Any:
    """Run an awaitable to completion (in a helper thread if a loop is running here)."""
    if not inspect.isawaitable(value):
        return value
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_awaited(value))
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = asyncio.run(_awaited(value))
        except BaseException as err:  # noqa: BLE001 - handed back to the caller
            box["error"] = err

    helper = threading.Thread(target=run, name="pounce-activity")
    helper.start()
    helper.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _module_name(fn: Any) -> str | None:
    if isinstance(fn, functools.partial):
        fn = fn.func
    name = getattr(fn, "__module__", None)
    if isinstance(name, str):
        return name
    owner = defining_class(fn)
    if owner is not None:
        return owner.__module__
    self_ = getattr(fn, "__self__", None)
    if self_ is not None:
        return type(self_).__module__
    return None


def is_sdk(fn: Any) -> bool:
    name = _module_name(fn)
    if not name:
        return False
    return any(name == p or name.startswith(p + ".") for p in SDK_PACKAGES)


def is_no_activity(fn: Any) -> bool:
    """Registered with ``register_no_activity`` (the function, its method, or its class)."""
    if not _no_activity:
        return False
    candidates = [fn, getattr(fn, "__func__", None), defining_class(fn)]
    self_ = getattr(fn, "__self__", None)
    if self_ is not None:
        candidates.append(self_ if isinstance(self_, type) else type(self_))
    for candidate in candidates:
        if candidate is None:
            continue
        try:
            if candidate in _no_activity:
                return True
        except TypeError:
            continue
    return False


def _cacheable(fn: Any) -> bool:
    """Whether is_activity's answer for ``fn`` depends only on ``fn`` itself, its
    ``__module__`` and the no-activity registry: a module-level builtin (``len``,
    ``time.perf_counter``), or a plain function without attributes of its own (one could
    set ``__self__``/``__objclass__``). Not bound methods: new objects on every access."""
    kind = type(fn)
    if kind is types.FunctionType:
        return not fn.__dict__
    if kind is types.BuiltinFunctionType:
        owner = fn.__self__
        return owner is None or type(owner) is types.ModuleType
    return False


def _check_size(op: str, header: dict[str, Any]) -> None:
    """Refuse a syscall whose frame would not be JSON, or be over the value size limit."""
    try:
        text = json.dumps(header, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        size = len(text.encode("utf-8"))
    except (TypeError, ValueError) as err:  # ValueError: circular, NaN; UnicodeEncodeError
        raise AutoKittehError(f"{op}: arguments are not JSON: {err}") from None
    if size > results.MAX_VALUE_BYTES:
        raise AutoKittehError(
            f"{op}: arguments are {results.format_size(size)} as JSON, over the 1 MiB limit"
        )


class Gate:
    def __init__(
        self,
        chan: Any,
        code_dir: str,
        durable: bool,
        journal: Journal,
        fatal: Callable[..., None],
    ) -> None:
        self.chan = chan
        self.code_dir = code_dir.rstrip(os.sep) + os.sep
        self.durable = durable
        self.journal = journal
        self.fatal = fatal
        self.loading = 0  # > 0 while user modules are being imported (executed)
        self.in_activity = False
        self.activity_seq: int | None = None
        self.inhibitions = 0
        self._lock = threading.RLock()
        self._user_modules: dict[str, bool] = {}
        # is_activity's answers for unmarked functions (see _cacheable), with what they
        # depend on that may change: the function's __module__ and how many callables are
        # registered as no activity. Bounded: functions made in a loop are new objects.
        self._classified: dict[Any, tuple[str, int, bool]] = {}
        self.call_notice = CallNotice(chan.post)

    # --- classification ---------------------------------------------------------

    def is_user_code(self, fn: Any) -> bool:
        """Defined in a module whose file is under the code directory."""
        name = _module_name(fn)
        if not name:
            return False
        known = self._user_modules.get(name)
        if known is not None:
            return known
        module = sys.modules.get(name)
        if module is None:
            return False
        path = getattr(module, "__file__", None)
        inside = bool(path) and os.path.realpath(path).startswith(self.code_dir)
        self._user_modules[name] = inside
        return inside

    def is_activity(self, fn: Any) -> bool:
        if not self.durable or self.in_activity or self.loading or self.inhibitions:
            return False
        mark = activity_marker(fn)
        if mark is not None:
            return mark
        if not _cacheable(fn):
            return self._classify(fn)
        module = fn.__module__
        registered = len(_no_activity)
        known = self._classified.get(fn)
        if known is not None and known[0] == module and known[1] == registered:
            return known[2]
        answer = self._classify(fn)
        if isinstance(module, str) and module in sys.modules:  # else is_user_code may change
            if len(self._classified) >= 4096:
                self._classified.clear()
            self._classified[fn] = (module, registered, answer)
        return answer

    def _classify(self, fn: Any) -> bool:
        target = fn.func if isinstance(fn, functools.partial) else fn
        if is_sdk(target) or is_deterministic(target) or is_no_activity(target):
            return False
        return not self.is_user_code(target)

    # --- entry points of transformed code ---------------------------------------

    def call(self, fn: Any, /, *args: Any, **kw: Any) -> Any:
        if fn is time.sleep:
            return self.sleep(*args, **kw)
        if not callable(fn):
            return fn(*args, **kw)  # the usual TypeError
        if is_inhibitor(fn):
            self.inhibitions += 1
            try:
                return fn(*args, **kw)
            finally:
                self.inhibitions -= 1
        if self.is_activity(fn):
            value = self.run_activity(fn, args, kw)
            return _ready(value) if _describe(fn)[1] else value
        return fn(*args, **kw)

    async def acall(self, fn: Any, /, *args: Any, **kw: Any) -> Any:
        if fn is time.sleep or not callable(fn):
            return await self.call(fn, *args, **kw)
        if is_inhibitor(fn):
            self.inhibitions += 1
            try:
                return await fn(*args, **kw)
            finally:
                self.inhibitions -= 1
        if self.is_activity(fn):
            return self.run_activity(fn, args, kw)
        return await fn(*args, **kw)

    def call_handler(self, fn: Callable, event: Any, kw: dict[str, Any]) -> Any:
        """Call the entry point (an activity as a whole if marked ``@activity``)."""
        if self.durable and activity_marker(fn) is True:
            return self.run_activity(fn, (event,), kw)
        inhibit = self.durable and is_inhibitor(fn)
        if inhibit:
            self.inhibitions += 1
        try:
            value = fn(event, **kw)
            if inspect.isawaitable(value):
                value = asyncio.run(_awaited(value))
            return value
        finally:
            if inhibit:
                self.inhibitions -= 1

    # --- durable steps ----------------------------------------------------------

    def _next_step(self, kind: str, name: str | None) -> Step | None:
        try:
            return self.journal.next(kind, name)
        except NonDeterminismError as err:
            self.fatal(str(err))
            raise  # not reached: fatal ends the process

    def run_activity(self, fn: Callable, args: tuple, kw: dict[str, Any]) -> Any:
        name = _describe(fn)[0]
        with self._lock:
            step = self._next_step("activity", name)
            seq = self.journal.seq
            if step is not None and step.done:
                try:
                    ok, value = results.unpack(step.blob)
                except Exception as err:
                    self.fatal(f"can't restore the result of step {seq} ({name!r}): {err!r}")
                    raise
            else:
                ok, value = self._run_live(fn, args, kw, seq, name)
        if ok:
            return value
        raise value

    def _run_live(self, fn: Callable, args: tuple, kw: dict, seq: int, name: str) -> tuple:
        limit = results.MAX_ARG_DISPLAY_CHARS
        call: RunnerCall = {
            "t": "call",
            "seq": seq,
            "name": name,
            "args": [results.safe_repr(a, limit) for a in args],
            "kwargs": {str(k): results.safe_repr(v, limit) for k, v in kw.items()},
        }
        self.chan.check_daemon()
        self.call_notice.arm(call)
        self.in_activity, self.activity_seq = True, seq
        started = time.perf_counter()
        try:
            value, ok = resolve(fn(*args, **kw)), True
        except Exception as err:
            value, ok = err, False
        finally:
            self.in_activity, self.activity_seq = False, None
            call_sent = self.call_notice.disarm()
        ms = (time.perf_counter() - started) * 1000
        try:
            blob, restored = results.pack(ok, value, name)
        except results.ResultError as err:
            if not call_sent:
                self.chan.post(call)  # the log shows which call failed the session
            self.fatal(tracebacks.result_error_text(err, self.code_dir), err.printed)
            raise
        header: RunnerResult = {
            "t": "result",
            "seq": seq,
            "name": name,
            "error": not ok,
            "display": results.safe_repr(restored),
        }
        if not call_sent:  # a quick activity: the result carries its call
            header["args"], header["kwargs"], header["ms"] = call["args"], call["kwargs"], ms
        self.chan.request(header, blob)
        return ok, restored

    def sleep(self, seconds: Any) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise TypeError(f"sleep() needs a number of seconds, not {type(seconds).__name__}")
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        if not self.durable or self.in_activity or self.loading:
            time.sleep(seconds)
            return
        with self._lock:
            step = self._next_step("sleep", "sleep")
            if step is not None and step.done:
                return
            self.chan.request({"t": "sleep", "seq": self.journal.seq, "ms": round(seconds * 1000)})

    # --- the SDK's syscall handler ----------------------------------------------

    def syscall(self, op: str, args: dict[str, Any]) -> Any:
        """Carry ``_syscall(op, **args)`` to the daemon; the answer's JSON ``value``.

        In a durable session, outside activities and module loading, the call is a
        durable step: it carries ``seq``, and a recorded result is returned without a
        round trip (a recorded wait that never finished is sent again, same seq).
        """
        if op == "sleep":
            return self.sleep(args["seconds"])
        if op in NOT_IN_ACTIVITIES and (
            self.in_activity or (not self.durable and inside_marked_activity())
        ):
            # AutoKitteh's wording ("next_event inside activity: ..."), then what to do.
            raise AutoKittehError(
                f"{op} inside activity: {op}: not allowed inside an activity; call it from "
                "the workflow code, outside functions that run as activities"
            )
        if op in DURABLE_ONLY and not self.durable:
            raise AutoKittehError(f"{op}: only available in durable sessions")
        header: RunnerSyscall = {"t": "syscall", "op": op, "args": args}
        _check_size(op, header)
        if self.in_activity:
            self.call_notice.flush()
        if not self.durable or self.in_activity or self.loading or op in NOT_JOURNALED:
            return self._send_syscall(op, header)
        with self._lock:
            step = self._next_step(op, None)
            if step is not None and step.done:
                if step.error:
                    raise AutoKittehError(f"{op}: {step.value}")
                return step.value
            return self._send_syscall(op, {**header, "seq": self.journal.seq})

    def _send_syscall(self, op: str, header: dict[str, Any]) -> Any:
        answer = self.chan.exchange(header)
        if answer.get("t") == "fail":
            raise AutoKittehError(f"{op}: {answer.get('error') or 'failed'}")
        return answer.get("value")

    # --- prints -----------------------------------------------------------------

    def print_seq(self) -> tuple[bool, int | None]:
        """(send it?, seq of the activity it is printed in)."""
        if self.in_activity:
            self.call_notice.flush()  # the log shows the call before its prints
            return True, self.activity_seq
        if self.durable and not self.journal.print_is_new():
            return False, None
        return True, None
