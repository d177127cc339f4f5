"""``autokitteh.zoom``: an HTTP session for the Zoom API with a connection's OAuth token."""

from .connections import oauth2_session


def zoom_client(connection: str):
    """A ``requests.Session`` for the Zoom API with the connection's OAuth token
    (``connections.oauth2_session``: its errors and refresh)."""
    return oauth2_session("zoom", connection)
