"""``autokitteh.linear``: an HTTP session for Linear's GraphQL API with an OAuth token."""

from .connections import oauth2_session


def linear_client(connection: str):
    """A ``requests.Session`` for Linear's GraphQL API with the connection's OAuth token
    (``connections.oauth2_session``: its errors and refresh)."""
    return oauth2_session("linear", connection)
