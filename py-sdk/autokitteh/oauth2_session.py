"""``OAuth2Session``: a ``requests.Session`` that sends a connection's OAuth token.

The clients of HTTP-only integrations (Linear, Zoom, Height) are these sessions.
"""

import requests

from . import _oauth
from .connections import check_connection_name, conn_var, require_vars

_RETRIED = "_pounce_oauth_retried"


class OAuth2Session(requests.Session):
    """A requests session with ``Authorization: Bearer <oauth_access_token>``.

    The token is refreshed before use when ``oauth_expiry`` says it is past or near expiry,
    and once more, with the request sent again, when the API answers 401 and the
    connection has an ``oauth_refresh_token``.
    """

    def __init__(self, integration: str, connection: str, *args, **kwargs):
        """Raises ``ValueError`` (invalid connection name), ``ConnectionInitError`` (no
        ``oauth_access_token``), ``OAuthRefreshError`` (an expired token not refreshed)."""
        check_connection_name(connection)
        require_vars(connection, "oauth_access_token")
        super().__init__(*args, **kwargs)
        self._integration = integration
        self._connection = connection
        self._refresh_token = conn_var(connection, "oauth_refresh_token")
        self._set_token(
            _oauth.fresh_token(integration, connection, "oauth_access_token", "oauth_expiry")
        )
        self.hooks["response"].append(self._intercept)

    def _intercept(self, response, *args, **kwargs):
        request = response.request
        if response.status_code != 401 or not self._refresh_token or hasattr(request, _RETRIED):
            return response
        token, _ = _oauth.refresh_into_env(
            self._integration, self._connection, "oauth_access_token", "oauth_expiry"
        )
        self._set_token(token)
        retry = request.copy()
        retry.headers["Authorization"] = f"Bearer {token}"
        setattr(retry, _RETRIED, True)
        return self.send(retry, **kwargs)

    def _set_token(self, token: str) -> None:
        self.headers["Authorization"] = f"Bearer {token}"
