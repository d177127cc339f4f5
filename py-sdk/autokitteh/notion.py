"""``autokitteh.notion``: a Notion client built from a connection's variables."""

from .connections import check_connection_name, first_var, import_library


def notion_client(connection: str):
    """A ``notion_client.Client`` authenticated with the connection's
    ``internal_integration_secret``, else its ``oauth_access_token``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has neither.
        ImportError: the ``notion-client`` package is not installed.
    """
    check_connection_name(connection)
    auth = first_var(connection, "internal_integration_secret", "oauth_access_token")
    return import_library("notion", "notion_client", "notion-client").Client(auth=auth)
