"""``python -P -u -m pounce.runner.forkserver --socket PATH --server-id ID --code-dir DIR
[--durable] [--preload MODULE]... [--no-preload REASON]``

A warm process for one deployment's code (and one durability mode): it imports the
runtime and the entry modules once, connects to the daemon, and forks one runner per
``fork`` request. Each child starts its own session in its own process group, with its
own connection; it does not depend on the server after the fork. See docs/protocol.md.
"""

import argparse
import ctypes
import gc
import os
import platform
import select
import signal
import sys

from .__main__ import START_TIMEOUT, close_inherited_fds, serve
from .frames import PROTOCOL_VERSION, ForkServerCommand
from .warm import PreloadError, Warm
from .wire import Conn, WireError

NO_PRELOAD = "--no-preload"
# How often the server looks whether the daemon that started it is still its parent.
PARENT_CHECK_S = 1.0
# How much of an ended child's stderr goes back to the daemon (its end).
STDERR_TAIL_BYTES = 8192


def _log(message: str) -> None:
    try:
        os.write(2, f"pounce-forkserver: {message}\n".encode())
    except OSError:
        pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pounce.runner.forkserver")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--server-id", required=True)
    parser.add_argument("--code-dir", required=True)
    parser.add_argument("--durable", action="store_true")
    parser.add_argument("--preload", action="append", default=[])
    parser.add_argument(NO_PRELOAD, dest="no_preload", metavar="REASON")
    return parser.parse_args(argv)


def set_title(title: str) -> None:
    """Best effort, on Linux: show a forked runner as itself in ps (it has the server's
    command line otherwise). Overwrites the process's original argv area, which Python
    no longer reads after start."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end
        data = title.encode()[: end - start - 1]
        ctypes.memmove(start, data + b"\0" * (end - start - len(data)), end - start)
    except Exception:  # noqa: BLE001 - cosmetic
        pass


def restart_without_preload(reason: str) -> None:
    """Start over with the runtime only: imports that have run cannot be undone."""
    _log(f"not preloading user modules ({reason})")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [*sys.orig_argv, NO_PRELOAD, reason])


class Server:
    def __init__(self, args: argparse.Namespace, warm: Warm | None, fallback: str | None) -> None:
        self.args = args
        self.warm = warm
        self.fallback = fallback
        self.conn = Conn.connect(args.socket)
        self.children: dict[int, tuple[str, str]] = {}  # pid -> runner id, stderr file
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self.wake_w)

    def run(self) -> None:
        self.conn.send(
            {
                "t": "hello",
                "runner_id": self.args.server_id,
                "role": "forkserver",
                "pid": os.getpid(),
                "protocol": PROTOCOL_VERSION,
                "python": platform.python_version(),
                "preloaded": self.warm.preloaded if self.warm else [],
                "fallback": self.fallback,
            }
        )
        sock = self.conn.sock
        parent = os.getppid()
        while True:
            readable, _, _ = select.select([sock, self.wake_r], [], [], PARENT_CHECK_S)
            if os.getppid() != parent:
                os._exit(0)  # the daemon is gone (its socket may outlive it in a child)
            if self.wake_r in readable:
                os.read(self.wake_r, 4096)
                self.reap()
            # A read may take in more than one frame: those are handled too (select()
            # does not see them).
            while sock in readable or self.conn.buffered():
                readable = []
                try:
                    header, _ = self.conn.recv()
                except (WireError, OSError):
                    os._exit(0)  # the daemon is gone; the children go on alone
                self.handle(header)

    def handle(self, header: ForkServerCommand) -> None:
        kind = header["t"]
        if kind == "fork":
            self.fork(str(header["runner_id"]), str(header["stderr"]), bool(header.get("spare")))
        elif kind == "kill":
            pid = header.get("pid")
            if pid in self.children:  # not reaped yet: the pid is still that child's
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
        elif kind == "stop":
            os._exit(0)

    def fork(self, runner_id: str, stderr_path: str, spare: bool) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as err:
            self.conn.send({"t": "fork_failed", "runner_id": runner_id, "error": str(err)})
            return
        if pid == 0:
            self.become_runner(runner_id, stderr_path, spare)
        self.children[pid] = (runner_id, stderr_path)
        self.conn.send({"t": "forked", "runner_id": runner_id, "pid": pid})

    def become_runner(self, runner_id: str, stderr_path: str, spare: bool) -> None:
        code = 0
        try:
            os.setsid()  # its own process group: the daemon kills the group
            set_title(f"pounce-runner {runner_id} (forked)")
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.close(self.wake_r)
            os.close(self.wake_w)
            self.conn.sock.close()
            fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 2)
            os.close(fd)
            # A spare waits for its session as long as the daemon is there.
            timeout = None if spare else START_TIMEOUT
            serve(self.args.socket, runner_id, self.args.code_dir, self.warm, timeout)
        except SystemExit as err:
            code = err.code if isinstance(err.code, int) else 1
        except BaseException as err:  # noqa: BLE001
            _log(f"runner {runner_id} failed: {err!r}")
            code = 1
        finally:
            os._exit(code)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            runner_id, stderr_path = self.children.pop(pid, (None, ""))
            code = os.waitstatus_to_exitcode(status)
            try:
                # What the session started dies with it (its group: the child was its leader).
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            self.conn.send(
                {
                    "t": "exit",
                    "runner_id": runner_id,
                    "pid": pid,
                    "code": code if code >= 0 else None,
                    "signal": signal.Signals(-code).name if code < 0 else None,
                    "stderr": take_tail(stderr_path),
                }
            )


def take_tail(path: str) -> str:
    """The end of an ended child's stderr file, which is removed."""
    if not path:
        return ""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - STDERR_TAIL_BYTES))
            tail = f.read()
        os.unlink(path)
    except OSError:
        return ""
    return tail.decode("utf-8", "replace")


def main(argv: list[str] | None = None) -> None:
    close_inherited_fds()
    args = parse_args(argv)
    if not os.path.isdir(args.code_dir):
        _log(f"--code-dir {args.code_dir!r} is not a directory")
        os._exit(2)
    # The runtime, in every case.
    import autokitteh  # noqa: F401

    from . import session  # noqa: F401

    warm = Warm(args.code_dir, args.durable)
    fallback = None
    if args.no_preload is not None:
        warm = None
        fallback = args.no_preload
    else:
        warm.prepare()
        try:
            warm.preload(args.preload)
        except PreloadError as err:
            restart_without_preload(str(err))
    # Objects that exist now stay shared with the children instead of being copied
    # when the collector touches them.
    gc.collect()
    gc.freeze()
    try:
        server = Server(args, warm, fallback)
    except OSError as err:
        _log(f"can't connect to {args.socket}: {err}")
        os._exit(2)
    server.run()


if __name__ == "__main__":
    main()
