"""``autokitteh.zoom``: an HTTP session for the Zoom API with a connection's OAuth token."""

from .connections import check_connection_name, import_library, require_vars


def zoom_client(connection: str):
    """A ``requests.Session`` (an ``OAuth2Session``) that sends the connection's
    ``oauth_access_token`` to the Zoom API (refreshed as ``OAuth2Session`` says).

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``oauth_access_token``.
        OAuthRefreshError: the token expired and could not be refreshed.
        ImportError: the ``requests`` package is not installed.
    """
    check_connection_name(connection)
    require_vars(connection, "oauth_access_token")
    import_library("zoom", "requests", "requests")
    from .oauth2_session import OAuth2Session

    return OAuth2Session("zoom", connection)
