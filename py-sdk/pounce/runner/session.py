"""One session: load the user code, call the entry point, report ``done``."""

import json
import os
import pickle
import sys
import time
from typing import Any, NoReturn

from pounce import syscall, tagged

from . import loader, results, tracebacks
from .channel import Channel
from .events import build_event
from .frames import RunnerDone
from .gate import Gate, Journal, Step
from .output import Output

MAX_ERROR_CHARS = 1 << 20


# A webhook event as the daemon sends it (src/integrations/webhook/event-data.ts), for the
# rehearsal of the event's path in prepare.
_SAMPLE_EVENT = {
    "data": {
        "method": "POST",
        "raw_url": "/webhooks/x?a=b",
        "url": {"path": "/webhooks/x", "query": {"a": "b"}, "path_suffix": ""},
        "headers": {"Content-Type": "application/json", "Content-Length": "8"},
        "trailers": {},
        "body": {"bytes": "eyJpIjogMX0=", "text": '{"i": 1}', "form": None, "json": {"i": 1}},
    },
    "event_type": "post",
    "event_id": "evt_sample",
}


class Session:
    """Made in two parts: what does not depend on the session when the runner connects
    (``prepare``: a fork server's spare does it while it waits), the rest at ``begin``,
    once ``start`` came."""

    def __init__(self, chan: Channel, code_dir: str, warm: Any = None) -> None:
        self.chan = chan
        self.warm = warm  # a fork server's preparation (warm.Warm), or None
        self.code_dir = os.path.realpath(code_dir)
        if warm is not None:
            self.durable = bool(warm.durable)
        else:  # the launcher also marks durable sessions in the environment
            self.durable = os.environ.get("POUNCE_DURABLE") == "1"
        self.start: dict = {}
        self.session_id: str | None = None
        self.gate = Gate(chan, self.code_dir, self.durable, Journal([]), self.fatal)

    def prepare(self) -> None:
        """Before ``start``: the session output and the syscall handler in place, the
        watcher thread started (it waits for ``begin``), the event path and a durable
        call's classification run once, so that a forked child has its first-time costs
        (threads, memory copied from the server on first write) behind it when its
        session starts."""
        if self.warm is None:
            sys.dont_write_bytecode = True  # keep the build directory as it was unpacked
            if self.code_dir in sys.path:
                sys.path.remove(self.code_dir)
            sys.path.insert(0, self.code_dir)
            # Before any user code is imported.
            Output(self.chan.post, self.gate.print_seq).install()
        else:  # the server imported the modules already (see warm.py)
            self.warm.bind(self.chan.post, self.gate)
        syscall.set_handler(self.gate.syscall)
        self.chan.park_reader()
        build_event(_SAMPLE_EVENT, None)
        self.gate.is_activity(time.time)  # how a call is classified (nothing is run)

    def begin(self, start: dict, steps: list[Step]) -> None:
        """What ``start`` and the journal tell; the watcher begins watching."""
        self.start = start
        if "durable" in start:
            self.durable = self.gate.durable = bool(start["durable"])
        self.session_id = start.get("session_id")
        printed = start.get("printed")
        self.gate.journal = Journal(steps, printed if isinstance(printed, int) else None)
        self.chan.start_reader()

    def run(self) -> NoReturn:
        """After prepare and begin."""
        try:
            module_name, fn_name = loader.parse_entrypoint(str(self.start.get("entrypoint", "")))
        except ValueError as err:
            self.done(error=str(err))

        if self.warm is not None:
            if self.warm.durable != self.durable:
                self.done(error="runner started for the other durability mode")
            self.warm.replay_prints(module_name)
        elif self.durable:
            loader.install(self.code_dir, self.gate)
        try:
            module = loader.import_entry(module_name)
        except BaseException as err:  # noqa: BLE001 - everything is reported
            prefix = f"can't load {module_name} from {self.code_dir} - "
            text, frames = tracebacks.describe(err, self.code_dir, prefix)
            self.print_runtime_error(text)
            self.done(error=text, traceback=frames)

        fn = getattr(module, fn_name, None)
        if not callable(fn):
            self.done(error=f"function {fn_name!r} not found")

        event = build_event(self.start.get("event"), self.session_id)
        kwargs = {"session_id": self.session_id} if loader.takes_session_id(fn) else {}
        try:
            value = self.gate.call_handler(fn, event, kwargs)
        except BaseException as err:  # noqa: BLE001
            self._check_replay_finished()
            text, frames = tracebacks.describe(err, self.code_dir)
            self.done(error=text, traceback=frames)
        self._check_replay_finished()
        self.done_value(value)

    def _check_replay_finished(self) -> None:
        if self.durable and (text := self.gate.journal.unfinished()):
            self.done(error=text)

    def done_value(self, value: Any) -> NoReturn:
        try:
            blob = pickle.dumps(value)
        except Exception:
            blob = b""
        if len(blob) > results.MAX_VALUE_BYTES:
            blob = b""
        header: RunnerDone = {"t": "done", "display": results.safe_repr(value)}
        encoded = json_value(value)
        if encoded is not _NO_VALUE:
            header["value"] = encoded
        self.send_done(header, blob)

    def done(self, error: str, traceback: list | None = None) -> NoReturn:
        if len(error) > MAX_ERROR_CHARS:
            error = error[:MAX_ERROR_CHARS] + " ... (cut)"
        self.send_done({"t": "done", "error": error, "traceback": traceback or []})

    def fatal(self, error: str, printed: str | None = None) -> NoReturn:
        """End the session with an error the user code cannot catch; ``printed`` is what
        the session's prints show of it (None: the error itself)."""
        self.print_runtime_error(error if printed is None else printed)
        self.done(error=error, traceback=tracebacks.current_frames(self.code_dir))

    def print_runtime_error(self, text: str) -> None:
        """An error of the runtime's own (a module that cannot load, a result that cannot
        be pickled) is also one of the session's prints, as AutoKitteh shows it."""
        try:
            print(text, flush=True)
        except Exception:  # noqa: BLE001 - the error still ends the session
            pass

    def send_done(self, header: RunnerDone, blob: bytes = b"") -> NoReturn:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        self.chan.post(header, blob)
        os._exit(0)


_NO_VALUE = object()


def json_value(value: Any) -> Any:
    """The return value as tagged JSON, or _NO_VALUE if it cannot be encoded (or is
    over the size limit)."""
    try:
        encoded = tagged.encode(value)
        size = len(json.dumps(encoded, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError):  # TaggedJSONError is a TypeError
        return _NO_VALUE
    return encoded if size <= results.MAX_VALUE_BYTES else _NO_VALUE
