"""OAuth token refresh: the one hook the integration clients call.

As in AutoKitteh, the daemon refreshes a connection's token with the provider (its OAuth
client secret never reaches the session) and answers the new access token and its expiry.
"""

import os
import re
from datetime import UTC, datetime, timedelta

from pounce.syscall import _syscall

# A token this close to its expiry is refreshed before use (as AutoKitteh's Microsoft client).
REFRESH_MARGIN = timedelta(minutes=5)


def _refresh_oauth(integration: str, connection: str) -> tuple[str, datetime]:
    """A fresh access token of ``connection`` and its expiry (naive UTC, as AutoKitteh's).

    Raises:
        OAuthRefreshError: the daemon could not refresh the token.
    """
    answer = _syscall("refresh_oauth", integration=integration, connection=connection)
    expiry = answer.get("expiry")
    when = (
        datetime.fromisoformat(expiry.replace("Z", "+00:00")).astimezone(UTC)
        if expiry
        else datetime.max.replace(tzinfo=UTC)
    )
    return answer["token"], when.replace(tzinfo=None)


def needs_refresh(expiry: datetime | None, margin: timedelta = REFRESH_MARGIN) -> bool:
    """Whether a token expiring at ``expiry`` (None: unknown) is past or near expiry."""
    return expiry is not None and expiry - margin <= datetime.now(UTC)


def refresh_into_env(
    integration: str, connection: str, token_var: str, expiry_var: str
) -> tuple[str, datetime]:
    """Refresh the connection's token and keep the fresh one in the session's environment,
    so clients made later in a long-running session start from it."""
    token, expiry = _refresh_oauth(integration, connection)
    if expiry.tzinfo is None:
        expiry = expiry.replace(tzinfo=UTC)
    os.environ[f"{connection}__{token_var}"] = token
    os.environ[f"{connection}__{expiry_var}"] = expiry.isoformat()
    return token, expiry


def parse_expiry(text: str) -> datetime:
    """A token expiry as an aware UTC datetime.

    Accepts ISO-8601 (``2024-06-20T19:18:17Z``) and Go's ``time.Time`` string
    (``2024-06-20 19:18:17.123 -0700 PDT``), as AutoKitteh stores it.
    """
    text = re.sub(r" [A-Z]+.*$", "", text.strip())  # Go's zone name and monotonic clock.
    text = re.sub(r"\.\d+", "", text)  # Sub-second precision.
    text = re.sub(r" ([+-]\d{4})$", r"\1", text)
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def fresh_token(integration: str, connection: str, token_var: str, expiry_var: str) -> str:
    """The connection's access token (``""`` when unset), refreshed first when its expiry
    variable says it is past or near expiry."""
    token = os.getenv(f"{connection}__{token_var}", "")
    expiry = os.getenv(f"{connection}__{expiry_var}", "")
    if token and expiry and needs_refresh(parse_expiry(expiry)):
        token, _ = refresh_into_env(integration, connection, token_var, expiry_var)
    return token
