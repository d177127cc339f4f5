"""``python -u -m pounce.runner --socket PATH --runner-id ID --code-dir DIR``

Connects to the daemon, says ``hello``, collects ``journal`` frames until ``start``
(exits if none comes within 10 seconds), then runs the session and exits.
"""

import argparse
import os
import platform
import sys
import time
from typing import Any

from .channel import Channel
from .frames import PROTOCOL_VERSION, DaemonStart
from .gate import Step
from .session import Session
from .wire import Conn, WireError

START_TIMEOUT = 10.0


def _die(message: str, code: int = 1) -> None:
    sys.stderr.write(f"pounce-runner: {message}\n")
    sys.stderr.flush()
    os._exit(code)


def close_inherited_fds() -> None:
    """Close every descriptor but stdin, stdout and stderr. A daemon on a runtime that
    does not mark its descriptors close-on-exec (Deno) hands them all down, the runners'
    listening socket among them: held here, it would outlive the daemon, and a runner
    connecting then would wait in its backlog forever."""
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pounce.runner", description=__doc__)
    parser.add_argument("--socket", required=True, help="the daemon's Unix socket")
    parser.add_argument("--runner-id", required=True, help="id to introduce ourselves with")
    parser.add_argument("--code-dir", required=True, help="directory of the user code")
    args = parser.parse_args(argv)
    if not args.runner_id:
        parser.error("--runner-id must not be empty")
    if not os.path.isdir(args.code_dir):
        parser.error(f"--code-dir {args.code_dir!r} is not a directory")
    return args


def wait_for_start(
    conn: Conn, timeout: float | None = START_TIMEOUT
) -> tuple[DaemonStart, list[Step]]:
    """The journal and ``start``; ``timeout`` None waits as long as the daemon is there
    (a fork server's spare runner)."""
    steps: list[Step] = []
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            _die(f"no start message within {START_TIMEOUT:g} seconds, exiting")
        try:
            header, blob = conn.recv(timeout=left)
        except TimeoutError:
            _die(f"no start message within {START_TIMEOUT:g} seconds, exiting")
        except (WireError, OSError) as err:
            _die(f"connection to the daemon lost before start: {err}")
        kind = header["t"]
        if kind == "journal":
            steps.extend(Step.from_frame(header, blob))
        elif kind == "start":
            return header, steps
        elif kind == "stop":
            os._exit(0)


def serve(
    socket_path: str,
    runner_id: str,
    code_dir: str,
    warm: Any = None,
    start_timeout: float | None = START_TIMEOUT,
) -> None:
    """Connect, say hello, prepare the session, wait for ``start`` and run it (also used
    by the children of a fork server, with its ``warm`` preparation)."""
    try:
        conn = Conn.connect(socket_path)
    except OSError as err:
        _die(f"can't connect to {socket_path}: {err}", 2)
    conn.send(
        {
            "t": "hello",
            "runner_id": runner_id,
            "pid": os.getpid(),
            "protocol": PROTOCOL_VERSION,
            "python": platform.python_version(),
        }
    )
    # What does not depend on the session is done while the daemon gets to its start.
    session = Session(Channel(conn), code_dir, warm)
    session.prepare()
    start, steps = wait_for_start(conn, start_timeout)
    session.begin(start, steps)
    session.run()


def main(argv: list[str] | None = None) -> None:
    close_inherited_fds()
    args = parse_args(argv)
    serve(args.socket, args.runner_id, args.code_dir)


if __name__ == "__main__":
    main()
