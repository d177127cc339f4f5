"""``autokitteh.azurebot``: send Bot Framework activities (e.g. MS Teams messages) as an
Azure Bot, with the connection's ``app_id``, ``app_password`` and ``tenant_id``.

Only the standard library is used: a client-credentials token from the Microsoft
identity platform, then a JSON POST to the conversation's service URL.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from pounce.activities import activity

from .connections import check_connection_name, require_vars
from .errors import AuthenticationError

_SCOPE = "https://api.botframework.com/.default"


class AzureBotClient:
    """A bot that posts activities to Bot Framework conversations."""

    # Where tokens come from (a test points it at a local server).
    login_url = "https://login.microsoftonline.com"

    def __init__(self, connection: str):
        check_connection_name(connection)
        self._connection = connection
        self._app_id, self._app_password, self._tenant_id = require_vars(
            connection, "app_id", "app_password", "tenant_id"
        )

    def _get_access_token(self) -> str:
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self._app_id,
                "client_secret": self._app_password,
                "scope": _SCOPE,
            }
        ).encode()
        url = f"{self.login_url}/{self._tenant_id}/oauth2/v2.0/token"
        try:
            with urllib.request.urlopen(url, data=form, timeout=30) as resp:
                token = json.load(resp)
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            raise AuthenticationError(self._connection, f"failed to get token: {detail}") from err
        if token.get("error") or not token.get("access_token"):
            raise AuthenticationError(
                self._connection, f"failed to get token: {token.get('error')}"
            )
        return token["access_token"]

    @activity
    def send_conversation_activity(
        self,
        activity: dict,
        conversation_id: str | None,
        service_url: str = "https://smba.trafficmanager.net/teams/",
    ) -> Any:
        """Send ``activity`` to the conversation (a new one when ``conversation_id`` is
        empty); reply to an event with the event's service URL. Raises
        ``urllib.error.HTTPError`` on a non-2xx answer; returns the answer's JSON."""
        path = (
            f"v3/conversations/{conversation_id}/activities"
            if conversation_id
            else ("v3/conversations")
        )
        request = urllib.request.Request(
            urllib.parse.urljoin(service_url, path),
            data=json.dumps(activity).encode(),
            headers={
                "Authorization": f"Bearer {self._get_access_token()}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None


def azurebot_client(connection: str) -> AzureBotClient:
    """An ``AzureBotClient`` for the connection.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection lacks ``app_id``, ``app_password`` or
            ``tenant_id``.
    """
    return AzureBotClient(connection)
