"""``autokitteh.slack``: a Slack client built from a connection's variables.

``slack_sdk`` is imported when a client is made, not when this module is, so projects that
do not use Slack need not install it.
"""

import os

# Not ``.errors``: importing that submodule would rebind ``autokitteh.errors``.
from pounce.errors import ConnectionInitError

from .connections import check_connection_name

DEFAULT_BASE_URL = "https://slack.com/api/"


def slack_client(connection: str, **kwargs):
    """A ``slack_sdk.WebClient`` for a Slack connection, checked with ``auth.test``.

    The token is the connection's ``oauth_access_token``, else its ``private_bot_token``.
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
    token = os.getenv(f"{connection}__oauth_access_token") or os.getenv(
        f"{connection}__private_bot_token"
    )
    if not token:
        raise ConnectionInitError(connection)
    kwargs.setdefault("base_url", os.getenv("POUNCE_SLACK_API_URL") or DEFAULT_BASE_URL)
    client = WebClient(token, **kwargs)
    client.auth_test()
    return client
