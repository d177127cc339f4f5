"""``autokitteh.auth0``: an Auth0 Management API client built from a connection."""

from .connections import check_connection_name, import_library, require_vars


def auth0_client(connection: str, **kwargs):
    """An ``auth0.management.Auth0`` client for the connection's ``auth0_domain`` with its
    ``oauth_AccessToken``; ``kwargs`` go to ``Auth0``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``oauth_AccessToken`` or ``auth0_domain``.
        ImportError: the ``auth0-python`` package is not installed.
    """
    check_connection_name(connection)
    token, domain = require_vars(connection, "oauth_AccessToken", "auth0_domain")
    management = import_library("auth0", "auth0.management", "auth0-python")
    return management.Auth0(domain, token, **kwargs)
