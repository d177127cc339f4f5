"""``python -m pounce.exports DIR``: the build's exports, or its first syntax error.

Prints one JSON object: ``{"exports": [{"file", "line", "name", "args"}, ...], "imports":
[...]}`` with the top-level ``def``/``async def``/``class`` of each top-level ``*.py`` file
and the modules the ``.py`` files import from outside the project and the standard library
(absolute imports anywhere in a file; for ``from a import b`` both ``a`` and ``a.b``, as
``b`` may be a module), or, if any ``.py`` file under DIR does not compile,
``{"error": {"file", "line", "message"}}`` and exits with status 1.
"""

import ast
import json
import os
import sys
from typing import Any

SKIP_DIRS = {"__pycache__", "node_modules", "site-packages"}
# Pounce provides these itself.
PROVIDED = {"autokitteh", "pounce", "__future__"}


def _fn_args(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    a = node.args
    names = [x.arg for x in (*a.posonlyargs, *a.args)]
    if a.vararg:
        names.append(a.vararg.arg)
    names += [x.arg for x in a.kwonlyargs]
    if a.kwarg:
        names.append(a.kwarg.arg)
    return names


def _class_args(node: ast.ClassDef) -> list[str]:
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == "__init__":
            return _fn_args(item)[1:]  # without self
    return []


def file_exports(tree: ast.Module, rel: str) -> list[dict[str, Any]]:
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = _fn_args(node)
        elif isinstance(node, ast.ClassDef):
            args = _class_args(node)
        else:
            continue
        out.append({"file": rel, "line": node.lineno, "name": node.name, "args": args})
    return out


def file_imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if a.name != "*")
    return found


def outside_imports(imports: set[str], root: str) -> list[str]:
    """The imports not of the standard library, of Pounce or of the project's own modules."""
    local = {os.path.splitext(name)[0] for name in os.listdir(root)}
    skip = PROVIDED | local | set(sys.stdlib_module_names)
    return sorted(name for name in imports if name.split(".")[0] not in skip)


def python_files(root: str) -> list[str]:
    """Relative paths (with /) of every .py file under root, sorted; skips dot dirs."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS)
        for name in filenames:
            if name.endswith(".py") and not name.startswith("."):
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                found.append(rel.replace(os.sep, "/"))
    return sorted(found, key=lambda p: (p.count("/"), p))


def check_file(root: str, rel: str) -> tuple[ast.Module | None, dict[str, Any] | None]:
    path = os.path.join(root, rel)
    try:
        with open(path, "rb") as fp:
            source = fp.read()
    except OSError as err:
        return None, {"file": rel, "line": 0, "message": str(err)}
    try:
        tree = ast.parse(source, rel, "exec")
        compile(source, rel, "exec", dont_inherit=True)  # compile-time checks too
    except SyntaxError as err:
        message = err.msg or "invalid syntax"
        return None, {"file": rel, "line": err.lineno or 0, "message": message}
    except (ValueError, UnicodeDecodeError) as err:  # e.g. null bytes, bad encoding
        return None, {"file": rel, "line": 0, "message": str(err)}
    return tree, None


def scan(root: str) -> dict[str, Any]:
    exports: list[dict[str, Any]] = []
    imports: set[str] = set()
    for rel in python_files(root):
        tree, error = check_file(root, rel)
        if error is not None:
            return {"error": error}
        if "/" not in rel:
            exports += file_exports(tree, rel)
        imports |= file_imports(tree)
    return {"exports": exports, "imports": outside_imports(imports, root)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m pounce.exports DIR\n")
        return 2
    root = args[0]
    if not os.path.isdir(root):
        message = f"{root}: not a directory"
        result: dict[str, Any] = {"error": {"file": "", "line": 0, "message": message}}
    else:
        result = scan(root)
    sys.stdout.write(json.dumps(result) + "\n")
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
