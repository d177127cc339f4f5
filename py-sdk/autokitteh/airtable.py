"""``autokitteh.airtable``: a pyairtable ``Api`` built from a connection's variables."""

from pounce.errors import ConnectionInitError

from . import _oauth
from .connections import check_connection_name, conn_var, import_library


def airtable_client(connection: str):
    """A ``pyairtable.Api`` with the connection's ``pat``, else its
    ``oauth_access_token`` (refreshed first when ``oauth_expiry`` says it is past or near
    expiry, or when only ``oauth_refresh_token`` is set).

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``pat`` and no OAuth token.
        OAuthRefreshError: the token expired and could not be refreshed.
        ImportError: the ``pyairtable`` package is not installed.
    """
    check_connection_name(connection)
    token = conn_var(connection, "pat")
    if not token:
        token = _oauth.fresh_token("airtable", connection, "oauth_access_token", "oauth_expiry")
    if not token:
        if not conn_var(connection, "oauth_refresh_token"):
            raise ConnectionInitError(connection, "pat or oauth_access_token")
        token, _ = _oauth.refresh_into_env(
            "airtable", connection, "oauth_access_token", "oauth_expiry"
        )
    return import_library("airtable", "pyairtable", "pyairtable").Api(token)
