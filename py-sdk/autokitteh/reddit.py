"""``autokitteh.reddit``: a PRAW client built from a connection's variables."""

from .connections import check_connection_name, conn_var, import_library, require_vars


def reddit_client(connection: str):
    """A ``praw.Reddit`` client with the connection's ``client_id``, ``client_secret`` and
    ``user_agent``; acting as the user when ``username`` and ``password`` are set, else
    read-only.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection lacks ``client_id``, ``client_secret`` or
            ``user_agent``.
        ImportError: the ``praw`` package is not installed.
    """
    check_connection_name(connection)
    client_id, client_secret, user_agent = require_vars(
        connection, "client_id", "client_secret", "user_agent"
    )
    login = {}
    username, password = conn_var(connection, "username"), conn_var(connection, "password")
    if username and password:
        login = {"username": username, "password": password}
    praw = import_library("reddit", "praw", "praw")
    return praw.Reddit(
        client_id=client_id, client_secret=client_secret, user_agent=user_agent, **login
    )
