"""Loading user code; in durable sessions, with every call in a function routed via the gate.

The import hook handles plain modules found as ``<code_dir>/<dotted/path>.py``; packages
(directories with ``__init__.py``) import normally, untransformed, as in AutoKitteh.
"""

import ast
import builtins
import importlib
import importlib.util
import inspect
import os
import sys
import types
from importlib.machinery import ModuleSpec, SourceFileLoader
from typing import Any

CALL = "_pounce_call"
ACALL = "_pounce_acall"

BUILTIN_NAMES = frozenset(n for n in dir(builtins) if callable(getattr(builtins, n)))


class CallTransformer(ast.NodeTransformer):
    """``f(a, k=v)`` -> ``_pounce_call(f, a, k=v)`` and ``await f(x)`` ->
    ``await _pounce_acall(f, x)``, only inside ``def``/``async def``/``class`` bodies.

    Module-level code (and decorators, defaults and annotations of top-level defs) is
    left alone, as are calls whose callee is a builtin name (``print``, ``len``, ...).
    """

    def __init__(self) -> None:
        self.depth = 0

    def _body(self, node: ast.AST) -> None:
        self.depth += 1
        try:
            node.body = self._visit_list(node.body)
        finally:
            self.depth -= 1

    def _visit_list(self, nodes: list) -> list:
        out = []
        for item in nodes:
            new = self.visit(item)
            if new is None:
                continue
            out.extend(new if isinstance(new, list) else [new])
        return out

    def _def(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        node.decorator_list = self._visit_list(node.decorator_list)
        node.args = self.visit(node.args)
        if node.returns is not None:
            node.returns = self.visit(node.returns)
        self._body(node)
        return node

    visit_FunctionDef = _def
    visit_AsyncFunctionDef = _def

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.decorator_list = self._visit_list(node.decorator_list)
        node.bases = self._visit_list(node.bases)
        node.keywords = self._visit_list(node.keywords)
        self._body(node)
        return node

    def _wrap(self, node: ast.Call) -> bool:
        if self.depth == 0:
            return False
        func = node.func
        return not (isinstance(func, ast.Name) and func.id in BUILTIN_NAMES)

    def _routed(self, node: ast.Call, via: str) -> ast.Call:
        call = ast.Call(
            func=ast.Name(id=via, ctx=ast.Load()),
            args=[node.func, *node.args],
            keywords=node.keywords,
        )
        return ast.copy_location(call, node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        return self._routed(node, CALL) if self._wrap(node) else node

    def visit_Await(self, node: ast.Await) -> ast.AST:
        value = node.value
        if isinstance(value, ast.Call) and self._wrap(value):
            self.generic_visit(value)
            node.value = self._routed(value, ACALL)
            return node
        self.generic_visit(node)
        return node


def transform(tree: ast.Module) -> ast.Module:
    tree = CallTransformer().visit(tree)
    return ast.fix_missing_locations(tree)


def transform_source(source: str, filename: str = "<user code>") -> ast.Module:
    return transform(ast.parse(source, filename, "exec"))


class DurableLoader(SourceFileLoader):
    """Compiles a user module with its calls routed through the gate (no .pyc caching)."""

    def __init__(self, fullname: str, path: str, gate: Any) -> None:
        super().__init__(fullname, path)
        self.gate = gate

    def get_code(self, fullname: str):
        path = self.get_filename(fullname)
        source = self.get_data(path)
        # compile(), not ast.parse(): keeps the stdlib's ast.py out of SyntaxError tracebacks.
        tree = compile(source, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        tree = transform(tree)
        return compile(tree, path, "exec", dont_inherit=True)

    def exec_module(self, module) -> None:
        module.__dict__[CALL] = self.gate.call
        module.__dict__[ACALL] = self.gate.acall
        # Code run while a module loads runs plainly (it re-runs on every replay).
        self.gate.loading += 1
        try:
            super().exec_module(module)
        finally:
            self.gate.loading -= 1


class DurableFinder:
    """Meta-path finder for ``<code_dir>/<dotted/path>.py`` modules."""

    def __init__(self, code_dir: str, gate: Any) -> None:
        self.code_dir = os.path.realpath(code_dir)
        self.gate = gate

    def _inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self.code_dir or real.startswith(self.code_dir + os.sep)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if path is not None:
            entries = list(path)
            if not entries or not any(self._inside(p) for p in entries):
                return None
        rel = fullname.replace(".", os.sep)
        file = os.path.join(self.code_dir, rel + ".py")
        if not os.path.isfile(file):
            return None
        if os.path.isfile(os.path.join(self.code_dir, rel, "__init__.py")):
            return None  # a package of the same name wins, as in a normal import
        loader = DurableLoader(fullname, file, self.gate)
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


def install(code_dir: str, gate: Any) -> DurableFinder:
    finder = DurableFinder(code_dir, gate)
    sys.meta_path.insert(0, finder)
    return finder


def parse_entrypoint(entrypoint: str) -> tuple[str, str]:
    """``file.py:function`` (or ``file.py function``) -> (module name, function name)."""
    text = entrypoint.strip()
    if ":" in text:
        file, _, func = text.rpartition(":")
    elif " " in text:
        file, _, func = text.partition(" ")
    else:
        raise ValueError(f"invalid entry point {entrypoint!r}: expected file.py:function")
    file, func = file.strip(), func.strip()
    if not file or not func:
        raise ValueError(f"invalid entry point {entrypoint!r}: expected file.py:function")
    if file.endswith(".py"):
        file = file[:-3]
    file = file.replace("\\", "/")
    while file.startswith("./"):
        file = file[2:]
    return file.strip("/").replace("/", "."), func


def import_entry(module: str):
    # A module a fork server preloaded is there already (import_module takes locks first).
    return sys.modules.get(module) or importlib.import_module(module)


# Plain functions' answer to takes_session_id: a fork server fills it for its preloaded
# modules before it forks (inspect.signature is slow in a freshly forked child).
_takes_session_id: dict[types.FunctionType, bool] = {}


def takes_session_id(fn: Any) -> bool:
    """Whether the entry point ``fn`` has a ``session_id`` parameter."""
    plain = type(fn) is types.FunctionType
    if plain and (known := _takes_session_id.get(fn)) is not None:
        return known
    try:
        takes = "session_id" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes = False
    if plain:
        _takes_session_id[fn] = takes
    return takes


def note_entry_points(module: Any) -> None:
    """Answer takes_session_id now for the functions of ``module``."""
    for value in list(vars(module).values()):
        if type(value) is types.FunctionType:
            takes_session_id(value)
