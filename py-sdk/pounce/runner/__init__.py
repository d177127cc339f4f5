"""The Pounce runner: runs one session's handler for the daemon (see docs/protocol.md)."""

PROTOCOL_VERSION = 2
