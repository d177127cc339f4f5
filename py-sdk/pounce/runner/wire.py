"""Framing of the daemon <-> runner protocol (docs/protocol.md).

A frame is two big-endian uint32 lengths (header H, blob B), H bytes of UTF-8 JSON with a
string field "t", and B raw bytes.
"""

import json
import socket
import struct
import threading
from typing import Any

MAX_FRAME = 16 << 20
_LENGTHS = struct.Struct(">II")


class WireError(Exception):
    """The peer closed the connection or sent something that is not a frame."""


def _json_default(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json.dumps() with options builds its encoder anew on every call, which costs more than
# encoding a small header: the C encoder is made once. Headers are checked JSON already
# (syscall arguments by the gate), so it skips the check for circular values.
try:
    from json.encoder import c_make_encoder, encode_basestring

    _encoder = c_make_encoder(
        None, _json_default, encode_basestring, None, ":", ",", False, False, True
    )

    def _dumps(header: dict[str, Any]) -> str:
        return "".join(_encoder(header, 0))
except (ImportError, TypeError):  # no C accelerator

    def _dumps(header: dict[str, Any]) -> str:
        return json.dumps(header, ensure_ascii=False, separators=(",", ":"))


_decoder = json.JSONDecoder()


def _loads(head: bytes) -> Any:
    """json.loads(head), without its per-call encoding detection and decoder lookup (a
    runner reads a header per step); anything unusual goes the usual way."""
    text = head.decode("utf-8")
    try:
        value, end = _decoder.raw_decode(text)
    except ValueError:
        return json.loads(text)  # raises the usual error
    return value if end == len(text) else json.loads(text)


def encode(header: dict[str, Any], blob: bytes = b"") -> bytes:
    head = _dumps(header).encode("utf-8")
    if len(head) + len(blob) > MAX_FRAME:
        raise WireError(f"frame of {len(head) + len(blob)} bytes is over the {MAX_FRAME} limit")
    return _LENGTHS.pack(len(head), len(blob)) + head + blob


class Conn:
    """A framed connection. ``send`` may be called from any thread."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._send_lock = threading.Lock()
        self._buf = bytearray()  # received, not yet read (one recv() takes what is there)

    @classmethod
    def connect(cls, path: str) -> "Conn":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        return cls(sock)

    def send(self, header: dict[str, Any], blob: bytes = b"") -> None:
        data = encode(header, blob)
        with self._send_lock:
            self.sock.sendall(data)

    def recv(self, timeout: float | None = None) -> tuple[dict[str, Any], bytes]:
        """Read one frame. Raises TimeoutError, or WireError on EOF / a bad frame."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            head_len, blob_len = _LENGTHS.unpack(self._read(_LENGTHS.size))
            if head_len + blob_len > MAX_FRAME:
                raise WireError(f"frame of {head_len + blob_len} bytes is over the limit")
            head = self._read(head_len)
            blob = self._read(blob_len) if blob_len else b""
        finally:
            if timeout is not None:
                self.sock.settimeout(None)
        try:
            header = _loads(head)
        except ValueError as err:  # UnicodeDecodeError too
            raise WireError(f"bad frame header: {err}") from None
        if not isinstance(header, dict) or not isinstance(header.get("t"), str):
            raise WireError("frame header is not an object with a string 't'")
        return header, blob

    def buffered(self) -> bool:
        """Bytes were received and not read yet (a select() on the socket misses them)."""
        return bool(self._buf)

    def _read(self, n: int) -> bytes:
        buf = self._buf
        while len(buf) < n:
            chunk = self.sock.recv(max(n - len(buf), 1 << 16))
            if not chunk:
                raise WireError("connection closed")
            buf += chunk
        out = bytes(buf[:n])
        del buf[:n]
        return out

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
