"""``autokitteh.hubspot``: a HubSpot client built from a connection's OAuth token."""

from ._oauth import fresh_token
from .connections import check_connection_name, import_library, require_vars


def hubspot_client(connection: str, **kwargs):
    """A ``hubspot.HubSpot`` client with the connection's ``oauth_AccessToken``, refreshed
    first when ``oauth_Expiry`` says it is past or near expiry; ``kwargs`` go to
    ``HubSpot``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``oauth_AccessToken``.
        OAuthRefreshError: the token expired and could not be refreshed.
        ImportError: the ``hubspot-api-client`` package is not installed.
    """
    check_connection_name(connection)
    require_vars(connection, "oauth_AccessToken")
    token = fresh_token("hubspot", connection, "oauth_AccessToken", "oauth_Expiry")
    hubspot = import_library("hubspot", "hubspot", "hubspot-api-client")
    return hubspot.HubSpot(access_token=token, **kwargs)
