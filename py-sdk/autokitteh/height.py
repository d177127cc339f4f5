"""``autokitteh.height``: an HTTP session for the Height API with a connection's OAuth token."""

from .connections import oauth2_session


def height_client(connection: str):
    """A ``requests.Session`` for the Height API with the connection's OAuth token
    (``connections.oauth2_session``: its errors and refresh)."""
    return oauth2_session("height", connection)
