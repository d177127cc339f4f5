"""``autokitteh.atlassian``: Jira and Confluence clients built from a connection.

A connection is either an API token's (``Token``, with ``Email`` for Atlassian Cloud,
against ``BaseURL``) or an OAuth 2.0 app's (``oauth_AccessToken``, ``oauth_TokenType``,
``oauth_Expiry``, ``AccessID`` = the cloud ID, and the app's ``JIRA_CLIENT_ID`` /
``CONFLUENCE_CLIENT_ID`` in the environment). The ``atlassian-python-api`` package is
imported when a client is made.
"""

import os

from pounce.errors import ConnectionInitError, EnvVarError

from . import _oauth
from .connections import check_connection_name, conn_var, import_library

CLOUD_API_URL = "https://api.atlassian.com/ex"


def jira_client(connection: str, **kwargs):
    """An ``atlassian.Jira`` client for the connection; ``kwargs`` go to ``Jira``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no credentials.
        EnvVarError: an OAuth connection without ``JIRA_CLIENT_ID`` in the environment.
        OAuthRefreshError: the OAuth token expired and could not be refreshed.
        ImportError: the ``atlassian-python-api`` package is not installed.
    """
    return _client(connection, "jira", "Jira", kwargs)


def atlassian_jira_client(connection: str, **kwargs):
    """AutoKitteh's earlier name for ``jira_client``: the same ``atlassian.Jira`` client."""
    return jira_client(connection, **kwargs)


def confluence_client(connection: str, **kwargs):
    """An ``atlassian.Confluence`` client for the connection (see ``jira_client``)."""
    return _client(connection, "confluence", "Confluence", kwargs)


def get_base_url(connection: str) -> str | None:
    """The connection's Atlassian server URL (``BaseURL``, else ``AccessURL``), or None.

    Raises:
        ValueError: the connection name is invalid.
    """
    check_connection_name(connection)
    return conn_var(connection, "BaseURL") or conn_var(connection, "AccessURL") or None


def client_args(connection: str, product: str) -> dict:
    """The keyword arguments of the product's client (``url`` and credentials)."""
    check_connection_name(connection)
    if conn_var(connection, "oauth_AccessToken"):
        return _cloud_oauth2_args(connection, product)
    token = conn_var(connection, "Token")
    if not token:
        raise ConnectionInitError(connection, "Token or oauth_AccessToken")
    base_url = conn_var(connection, "BaseURL")
    if not base_url:
        raise ConnectionInitError(connection, "BaseURL")
    email = conn_var(connection, "Email")
    if not email:  # A personal access token (Server / Data Center).
        return {"url": base_url, "token": token}
    return {"url": base_url, "username": email, "password": token, "cloud": True}


def _cloud_oauth2_args(connection: str, product: str) -> dict:
    if not conn_var(connection, "oauth_Expiry"):
        raise ConnectionInitError(connection, "oauth_Expiry")
    cloud_id = conn_var(connection, "AccessID")
    if not cloud_id:
        raise ConnectionInitError(connection, "AccessID")
    client_id_var = product.upper() + "_CLIENT_ID"
    client_id = os.getenv(client_id_var)
    if not client_id:
        raise EnvVarError(client_id_var, "missing")
    token = _oauth.fresh_token(product, connection, "oauth_AccessToken", "oauth_Expiry")
    token_type = conn_var(connection, "oauth_TokenType") or "Bearer"
    return {
        "url": f"{CLOUD_API_URL}/{product}/{cloud_id}",
        "oauth2": {
            "client_id": client_id,
            "token": {"access_token": token, "token_type": token_type},
        },
    }


def _client(connection: str, product: str, class_name: str, kwargs: dict):
    args = client_args(connection, product)
    atlassian = import_library("atlassian", "atlassian", "atlassian-python-api")
    return getattr(atlassian, class_name)(**{**args, **kwargs})
