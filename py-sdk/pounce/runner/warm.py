"""What a fork server prepares before forking: the session output and the user's modules.

The server imports the deployment's entry modules once (through the durable import hook
in durable mode) and every forked child reuses them. A fresh runner would print a
module's module-level prints into its own session, so while preloading, prints are
recorded per user module, with the user modules each one imports; a child replays those
of its entry module's imports, in import order, as a fresh import would have printed them.
"""

import builtins
import importlib
import importlib.util
import os
import sys
import threading
from typing import Any

from pounce import syscall

from . import loader
from .output import Output


class PreloadError(Exception):
    """User code did something at import that a shared import cannot keep."""


class LoadingGate:
    """The gate of the server's imports: everything runs plainly, as while loading."""

    def __init__(self) -> None:
        self.loading = 0

    def call(self, fn: Any, /, *args: Any, **kw: Any) -> Any:
        return fn(*args, **kw)

    async def acall(self, fn: Any, /, *args: Any, **kw: Any) -> Any:
        return await fn(*args, **kw)


def _refuse_syscall(op: str, args: dict[str, Any]) -> Any:
    raise PreloadError(f"module-level {op!r} call")


class Warm:
    """The server-side preparation, attached to a session in each forked child."""

    def __init__(self, code_dir: str, durable: bool) -> None:
        self.code_dir = os.path.realpath(code_dir)
        self.durable = durable
        self.output = Output(self._record, lambda: (True, None))
        self.finder: loader.DurableFinder | None = None
        self.preloaded: list[str] = []
        self.durable_modules: list[Any] = []
        # user module -> ("print", text) / ("import", module) in the order they happened
        self.events: dict[str, list[tuple[str, str]]] = {}
        # preloaded module -> its module_prints, worked out before forking
        self.prints: dict[str, list[str]] = {}

    def prepare(self) -> None:
        """Before any user import: the session output and the import hook."""
        sys.dont_write_bytecode = True
        if self.code_dir in sys.path:
            sys.path.remove(self.code_dir)
        sys.path.insert(0, self.code_dir)
        self.output.install()
        if self.durable:
            self.finder = loader.install(self.code_dir, LoadingGate())

    def preload(self, modules: list[str]) -> None:
        """Import the entry modules; PreloadError if user code must import per session."""
        syscall.set_handler(_refuse_syscall)
        real_import = builtins.__import__

        def tracing_import(name, globals=None, locals=None, fromlist=(), level=0):
            module = real_import(name, globals, locals, fromlist, level)
            self._note_import(name, globals, fromlist, level)
            return module

        builtins.__import__ = tracing_import
        try:
            for name in modules:
                importlib.import_module(name)
                self.preloaded.append(name)
        except PreloadError:
            raise
        except BaseException as err:  # noqa: BLE001 - reported by each session instead
            raise PreloadError(f"importing {name} failed: {err!r}") from None
        finally:
            builtins.__import__ = real_import
            syscall.set_handler(None)
        if threading.active_count() > 1:
            raise PreloadError("user code started threads at import")
        for name in self.preloaded:
            loader.note_entry_points(sys.modules[name])
            self.prints[name] = self.module_prints(name)
        # The modules whose calls go through the gate, to rebind in each child.
        self.durable_modules = [
            m
            for m in list(sys.modules.values())
            if isinstance(getattr(m, "__loader__", None), loader.DurableLoader)
        ]

    # --- recording ----------------------------------------------------------------

    def _user_module_of(self, path: str | None) -> bool:
        if not path:
            return False
        real = os.path.realpath(path)
        return real.startswith(self.code_dir + os.sep)

    def _current_module(self) -> str | None:
        """The innermost user module whose top level is running."""
        frame = sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            if code.co_name == "<module>" and self._user_module_of(code.co_filename):
                return frame.f_globals.get("__name__")
            frame = frame.f_back
        return None

    def _record(self, msg: dict) -> None:
        name = self._current_module()
        if name is not None and msg.get("t") == "print":
            self.events.setdefault(name, []).append(("print", msg["text"]))

    def _note_import(self, name: str, globals: Any, fromlist: Any, level: int) -> None:
        importer = self._current_module()
        if importer is None:
            return
        try:
            if level:
                package = (globals or {}).get("__package__") or ""
                name = importlib.util.resolve_name("." * level + name, package)
        except (ImportError, ValueError):
            return
        names = _prefixes(name) if name else []
        for item in fromlist or ():
            if isinstance(item, str) and item != "*":
                names.append(f"{name}.{item}" if name else item)
        events = self.events.setdefault(importer, [])
        for full in names:
            module = sys.modules.get(full)
            if module is not None and self._user_module_of(getattr(module, "__file__", None)):
                events.append(("import", full))

    # --- in the child -------------------------------------------------------------

    def bind(self, post: Any, gate: Any) -> None:
        """Hand the output and the loaded modules to this session (before its start)."""
        self.output.post = post
        self.output.seq_of = gate.print_seq
        if self.finder is not None:
            self.finder.gate = gate
            for module in self.durable_modules:
                module.__loader__.gate = gate
                module.__dict__[loader.CALL] = gate.call
                module.__dict__[loader.ACALL] = gate.acall

    def replay_prints(self, entry_module: str) -> None:
        """Send the module-level prints a fresh import of ``entry_module`` would have
        made."""
        prints = self.prints.get(entry_module)
        for text in self.module_prints(entry_module) if prints is None else prints:
            self.output.send(text)

    def module_prints(self, entry_module: str) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()

        def replay(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            for kind, value in self.events.get(name, ()):
                if kind == "print":
                    out.append(value)
                else:
                    for part in _prefixes(value):
                        replay(part)

        for part in _prefixes(entry_module):
            replay(part)
        return out


def _prefixes(name: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c`` (what importing it executes, in order)."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]
