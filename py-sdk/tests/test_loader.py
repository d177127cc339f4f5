import importlib
import sys
import textwrap

from pounce.runner import loader


def import_from(tmp_path, gate, name):
    sys.path.insert(0, str(tmp_path))
    finder = loader.install(str(tmp_path), gate)
    try:
        return importlib.import_module(name)
    finally:
        sys.meta_path.remove(finder)
        sys.path.remove(str(tmp_path))


def write(path, source):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))


def test_plain_modules_transformed_packages_not(tmp_path, make_gate):
    gate, _ = make_gate()
    write(tmp_path / "ldr_main.py", "import ldr_pkg.sub\nimport ldr_ns.util\n")
    write(tmp_path / "ldr_pkg" / "__init__.py", "def g():\n    return 1\n")
    write(tmp_path / "ldr_pkg" / "sub.py", "def g():\n    return 1\n")
    write(tmp_path / "ldr_ns" / "util.py", "def g():\n    return 1\n")
    mod = import_from(tmp_path, gate, "ldr_main")
    assert mod._pounce_call == gate.call
    assert hasattr(sys.modules["ldr_pkg.sub"], "_pounce_call")
    assert hasattr(sys.modules["ldr_ns.util"], "_pounce_call")
    assert not hasattr(sys.modules["ldr_pkg"], "_pounce_call")
    assert not (tmp_path / "__pycache__").exists()


def test_transformed_code_keeps_python_semantics(tmp_path, make_gate):
    gate, daemon = make_gate()
    write(
        tmp_path / "ldr_sem.py",
        """
        import functools

        class Base:
            def __init__(self, x):
                self.x = x

        class Child(Base):
            def __init__(self, x):
                super().__init__(x * 2)

            @property
            def double(self):
                return self.x * 2

        def gen(n):
            for i in range(n):
                yield str(i).upper()

        def run(event):
            c = Child(3)
            words = list(gen(3))
            total = functools.reduce(lambda a, b: a + b, [1, 2, 3])
            values = [len(w) for w in words]
            return c.x, c.double, words, total, values, f"{max(values)}"
        """,
    )
    mod = import_from(tmp_path, gate, "ldr_sem")
    assert gate.call_handler(mod.run, None, {}) == (6, 12, ["0", "1", "2"], 6, [1, 1, 1], "1")
    assert daemon.calls() == []


def test_module_level_code_runs_plainly(tmp_path, make_gate):
    gate, daemon = make_gate()
    write(
        tmp_path / "ldr_top.py",
        """
        import random

        def pick():
            return random.randrange(3)

        VALUE = pick()  # while loading: plain, not an activity
        """,
    )
    mod = import_from(tmp_path, gate, "ldr_top")
    assert mod.VALUE in (0, 1, 2)
    assert daemon.calls() == []


def test_takes_session_id_is_answered_before_forking():
    """A fork server notes its entry points' signatures (note_entry_points); the answer
    is the same as inspecting them in the session."""
    import types

    module = types.ModuleType("entry")
    exec(
        "def plain(event): pass\ndef with_id(event, session_id): pass\n"
        "class Handler:\n    def __call__(self, event, session_id=None): pass\n",
        module.__dict__,
    )
    loader.note_entry_points(module)
    assert loader._takes_session_id[module.plain] is False
    assert loader._takes_session_id[module.with_id] is True
    assert loader.takes_session_id(module.with_id) is True
    assert loader.takes_session_id(module.Handler()) is True  # not a plain function
    assert loader.takes_session_id(len) is False  # no signature: not taken
