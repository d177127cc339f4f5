"""``autokitteh.anthropic``: an Anthropic client built from a connection's ``api_key``.

The ``anthropic`` package is imported when a client is made. Like the package itself, the
client honours ``ANTHROPIC_BASE_URL`` (e.g. a test server).
"""

from .connections import check_connection_name, import_library, require_vars


def anthropic_client(connection: str):
    """An ``anthropic.Anthropic`` client with the connection's ``api_key``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``api_key``.
        ImportError: the ``anthropic`` package is not installed.
    """
    check_connection_name(connection)
    (api_key,) = require_vars(connection, "api_key")
    return import_library("anthropic", "anthropic", "anthropic").Anthropic(api_key=api_key)
