"""OAuth tokens of connections, kept fresh by the daemon.

``_refresh_oauth(integration, connection)`` is the hook AutoKitteh's clients call (as
``refresh_oauth``) when a connection's access token has expired or is about to: the daemon
refreshes it with the provider (its OAuth client secret never reaches the session) and
answers the new access token and its expiry.
"""

from datetime import UTC, datetime

from pounce.syscall import _syscall

from .connections import check_connection_name


def _refresh_oauth(integration: str, connection: str) -> tuple[str, datetime]:
    """A fresh access token of ``connection`` and its expiry (naive UTC, as AutoKitteh's)."""
    check_connection_name(connection)
    answer = _syscall("refresh_oauth", integration=integration, connection=connection)
    expiry = answer.get("expiry")
    when = (
        datetime.fromisoformat(expiry.replace("Z", "+00:00")).astimezone(UTC)
        if expiry
        else datetime.max.replace(tzinfo=UTC)
    )
    return answer["token"], when.replace(tzinfo=None)
