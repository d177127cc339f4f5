import json
import subprocess
import sys
import textwrap

from conftest import SDK_DIR


def run_exports(path):
    proc = subprocess.run(
        [sys.executable, "-m", "pounce.exports", str(path)],
        capture_output=True,
        text=True,
        cwd=SDK_DIR,
        timeout=60,
    )
    return proc.returncode, json.loads(proc.stdout)


def test_exports(tmp_path):
    (tmp_path / "handler.py").write_text(
        textwrap.dedent(
            """
            import os

            X = os.getenv("X")

            def on_event(event, session_id=None):
                pass

            async def on_async(event, **kw):
                pass

            class Client:
                def __init__(self, token, base="x"):
                    pass

                def method(self):
                    pass

            class Plain:
                pass
            """
        )
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "util.py").write_text("def hidden():\n    pass\n")
    code, out = run_exports(tmp_path)
    assert code == 0
    assert out == {
        "exports": [
            {"file": "handler.py", "line": 6, "name": "on_event", "args": ["event", "session_id"]},
            {"file": "handler.py", "line": 9, "name": "on_async", "args": ["event", "kw"]},
            {"file": "handler.py", "line": 12, "name": "Client", "args": ["token", "base"]},
            {"file": "handler.py", "line": 19, "name": "Plain", "args": []},
        ],
        "imports": [],
    }


def test_syntax_error_anywhere(tmp_path):
    (tmp_path / "ok.py").write_text("def f():\n    pass\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "broken.py").write_text("x = 1\ndef f(:\n    pass\n")
    code, out = run_exports(tmp_path)
    assert code == 1
    assert out["error"]["file"] == "pkg/broken.py"
    assert out["error"]["line"] == 2
    assert out["error"]["message"]


def test_compile_time_error(tmp_path):
    (tmp_path / "a.py").write_text("def f():\n    pass\nreturn 1\n")
    code, out = run_exports(tmp_path)
    assert code == 1
    assert out["error"] == {"file": "a.py", "line": 3, "message": "'return' outside function"}


def test_empty_dir(tmp_path):
    assert run_exports(tmp_path) == (0, {"exports": [], "imports": []})


def test_imports(tmp_path):
    (tmp_path / "main.py").write_text(
        textwrap.dedent(
            """
            from __future__ import annotations
            import json, os.path
            import requests
            from bs4 import BeautifulSoup
            from google import auth
            from . import sibling
            import helpers
            import autokitteh

            def handler(event):
                import slack_sdk.web
                from pkg.util import x
            """
        )
    )
    (tmp_path / "helpers.py").write_text("import yaml\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "util.py").write_text("from googleapiclient.discovery import build\n")
    code, out = run_exports(tmp_path)
    assert code == 0, out
    assert out["imports"] == [
        "bs4",
        "bs4.BeautifulSoup",
        "google",
        "google.auth",
        "googleapiclient.discovery",
        "googleapiclient.discovery.build",
        "requests",
        "slack_sdk.web",
        "yaml",
    ]
