"""The Pounce runner: runs one session's handler for the daemon (see docs/protocol.md)."""

from .frames import PROTOCOL_VERSION

__all__ = ["PROTOCOL_VERSION"]
