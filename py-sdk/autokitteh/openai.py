"""``autokitteh.openai``: an OpenAI client built from a connection's ``api_key``.

The ``openai`` package is imported when a client is made. Like the package itself, the
client honours ``OPENAI_BASE_URL`` (e.g. a test server).
"""

from .connections import check_connection_name, import_library, require_vars


def openai_client(connection: str):
    """An ``openai.OpenAI`` client with the connection's ``api_key``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``api_key``.
        ImportError: the ``openai`` package is not installed.
    """
    check_connection_name(connection)
    (api_key,) = require_vars(connection, "api_key")
    return import_library("openai", "openai", "openai").OpenAI(api_key=api_key)
