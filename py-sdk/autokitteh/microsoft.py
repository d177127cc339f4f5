"""``autokitteh.microsoft``: Microsoft Graph clients built from a connection.

``auth_type`` says how: ``oauthDefault`` / ``oauthPrivate`` (a user's delegated OAuth
token: ``oauth_access_token``, ``oauth_expiry``, ``oauth_refresh_token``) or ``daemonApp``
(an app's own credentials: ``private_client_id`` with ``private_client_secret`` or
``private_certificate``, in ``private_tenant_id``). The ``msgraph-sdk`` and
``azure-identity`` packages are imported when a client is made.
"""

from datetime import UTC, datetime, timedelta

from pounce.errors import ConnectionInitError

from . import _oauth
from .connections import check_connection_name, conn_var, import_library, require_vars

# Refresh OAuth tokens this long before they expire.
DEFAULT_REFRESH_BUFFER_TIME = timedelta(minutes=5)


def teams_client(connection: str, **kwargs):
    """A ``msgraph.GraphServiceClient`` for a Microsoft Teams connection; ``kwargs`` go to
    ``GraphServiceClient``.

    Raises:
        ValueError: the connection name or its ``auth_type`` is invalid.
        ConnectionInitError: the connection has no credentials.
        OAuthRefreshError: the OAuth token expired and could not be refreshed.
        ImportError: ``msgraph-sdk`` or ``azure-identity`` is not installed.
    """
    return _microsoft_client(connection, **kwargs)


def _microsoft_client(connection: str, **kwargs):
    check_connection_name(connection)
    (auth_type,) = require_vars(connection, "auth_type")
    match auth_type:
        case "oauthDefault" | "oauthPrivate":
            creds = OAuthTokenProvider(connection)
        case "daemonApp":
            creds = _app_credentials(connection)
        case _:
            raise ValueError(
                f"AutoKitteh connection {connection!r}: invalid auth type {auth_type!r}"
            )
    msgraph = import_library("microsoft", "msgraph", "msgraph-sdk")
    return msgraph.GraphServiceClient(credentials=creds, **kwargs)


class OAuthTokenProvider:
    """An ``azure.core.credentials.TokenCredential`` giving the connection's OAuth token,
    refreshed when it is within ``buffer_time`` of its expiry."""

    def __init__(self, connection: str, buffer_time: timedelta | None = None) -> None:
        """Raises ``ValueError`` (invalid name, not an OAuth connection) or
        ``ConnectionInitError`` (no token)."""
        check_connection_name(connection)
        self._connection = connection
        self._buffer_time = buffer_time or DEFAULT_REFRESH_BUFFER_TIME
        (auth_type,) = require_vars(connection, "auth_type")
        if not auth_type.startswith("oauth"):
            raise ValueError(f"AutoKitteh connection {connection!r} not using OAuth")
        (self._access_token,) = require_vars(connection, "oauth_access_token")
        expiry = conn_var(connection, "oauth_expiry")
        self._expiry = _oauth.parse_expiry(expiry) if expiry else None

    def get_token(self, *scopes: str, **kwargs):
        if _oauth.needs_refresh(self._expiry, margin=self._buffer_time):
            self._access_token, self._expiry = _oauth.refresh_into_env(
                "microsoft", self._connection, "oauth_access_token", "oauth_expiry"
            )
        # A token without an expiry is taken to be good for the next hour.
        expiry = self._expiry or datetime.now(UTC) + timedelta(hours=1)
        credentials = import_library("microsoft", "azure.core.credentials", "azure-core")
        return credentials.AccessToken(token=self._access_token, expires_on=int(expiry.timestamp()))


def _app_credentials(connection: str):
    client_id = conn_var(connection, "private_client_id")
    certificate = conn_var(connection, "private_certificate")
    secret = conn_var(connection, "private_client_secret")
    if not client_id or not (certificate or secret):
        raise ConnectionInitError(
            connection, "private_client_id with private_client_secret or private_certificate"
        )
    identity = import_library("microsoft", "azure.identity", "azure-identity")
    tenant_id = conn_var(connection, "private_tenant_id") or "common"
    if certificate:
        return identity.CertificateCredential(
            client_id=client_id, certificate_data=certificate.encode(), tenant_id=tenant_id
        )
    return identity.ClientSecretCredential(
        client_id=client_id, client_secret=secret, tenant_id=tenant_id
    )
