"""``autokitteh.slack``: a Slack client built from a connection's variables.

``slack_sdk`` is imported when a client is made, not when this module is, so projects that
do not use Slack need not install it.
"""

import os
import re

from .connections import check_connection_name, first_var

DEFAULT_BASE_URL = "https://slack.com/api/"


def slack_client(connection: str, **kwargs):
    """A ``slack_sdk.WebClient`` for a Slack connection, checked with ``auth.test``.

    The token is the connection's ``oauth_access_token``, else its ``private_bot_token``
    (else the older ``oauth_AccessToken`` or ``BotToken``).
    The API's base URL is ``POUNCE_SLACK_API_URL`` when set (e.g. a test server), else
    Slack's; ``base_url=...`` overrides both.

    Raises:
        ValueError: the connection name is invalid.
        ImportError: the ``slack_sdk`` package is not installed.
        ConnectionInitError: the connection has no token.
        slack_sdk.errors.SlackApiError: Slack refused the token.
    """
    check_connection_name(connection)
    try:
        from slack_sdk import WebClient
    except ImportError as err:
        raise ImportError(
            'autokitteh.slack needs the "slack_sdk" package: add slack_sdk to the '
            "project's requirements.txt (or pip install slack_sdk)"
        ) from err
    # The last two are older names AutoKitteh still reads.
    token = first_var(
        connection, "oauth_access_token", "private_bot_token", "oauth_AccessToken", "BotToken"
    )
    kwargs.setdefault("base_url", os.getenv("POUNCE_SLACK_API_URL") or DEFAULT_BASE_URL)
    client = WebClient(token, **kwargs)
    client.auth_test()
    return client


def normalize_channel_name(name: str) -> str:
    """Arbitrary text made a valid Slack channel name: lower case, quotes dropped, other
    characters outside ``a-z0-9_-`` made ``-``, runs of separators made one ``-``, at most 50
    characters, no leading or trailing ``-``.
    See https://api.slack.com/methods/conversations.create#naming.
    """
    name = name.lower().strip()
    name = re.sub(r"['\"]", "", name)
    name = re.sub(r"[^a-z0-9_-]", "-", name)
    name = re.sub(r"[_-]{2,}", "-", name)
    # Slack allows 80 characters; 50 reads better (as AutoKitteh).
    return name[:50].strip("-")
