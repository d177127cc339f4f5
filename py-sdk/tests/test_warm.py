"""The fork server's preparation (pounce/runner/warm.py): module-level prints recorded at
preload are replayed per entry module as a fresh import would print them; what cannot be
shared (threads, syscalls, failures at import) refuses the preload.

Each case runs in a subprocess: preloading patches print, logging and sys.modules."""

import json
import os
import subprocess
import sys
import textwrap

SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = """
import json, sys
from pounce.runner.warm import PreloadError, Warm
warm = Warm(sys.argv[1], sys.argv[2] == "durable")
warm.prepare()
try:
    warm.preload(sys.argv[3].split(","))
except PreloadError as err:
    print(json.dumps({"refused": str(err)}), file=sys.__stderr__)
    sys.exit(0)
out = {m: warm.module_prints(m) for m in sys.argv[4].split(",")}
print(json.dumps(out), file=sys.__stderr__)
"""


def run(tmp_path, files: dict[str, str], preload: str, entries: str, mode="plain") -> dict:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), mode, preload, entries],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SDK_DIR},
        cwd=tmp_path,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    return json.loads(res.stderr.strip().splitlines()[-1])


FILES = {
    "shared.py": """
        print("shared")
        """,
    "pkg/__init__.py": """
        print("pkg")
        """,
    "pkg/inner.py": """
        import logging
        logging.getLogger("inner").warning("inner warns")
        """,
    "a.py": """
        print("a before")
        import shared
        from pkg import inner
        print("a after")

        def handler(event):
            pass
        """,
    "b.py": """
        print("b before")
        import shared
        print("b after")
        """,
}


def test_each_entry_gets_the_prints_of_a_fresh_import(tmp_path):
    for mode in ("plain", "durable"):
        out = run(tmp_path, FILES, "a,b", "a,b", mode)
        assert out["a"] == ["a before", "shared", "pkg", "WARNING:inner:inner warns", "a after"]
        # shared was imported by a first, yet a fresh import of b prints it too.
        assert out["b"] == ["b before", "shared", "b after"]


def test_threads_at_import_refuse_the_preload(tmp_path):
    files = {
        "t.py": """
            import threading, time
            threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
            """
    }
    out = run(tmp_path, files, "t", "t")
    assert "threads" in out["refused"]


def test_a_syscall_or_a_failure_at_import_refuses_the_preload(tmp_path):
    files = {
        "s.py": """
            import autokitteh
            autokitteh.set_value("k", 1)
            """,
        "f.py": """
            raise RuntimeError("boom")
            """,
    }
    assert "module-level 'store'" in run(tmp_path, files, "s", "s")["refused"]
    assert "boom" in run(tmp_path, files, "f", "f")["refused"]
