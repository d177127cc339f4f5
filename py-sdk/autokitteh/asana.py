"""``autokitteh.asana``: an Asana client built from a connection's ``pat``."""

from .connections import check_connection_name, import_library, require_vars


def asana_client(connection: str):
    """An ``asana.ApiClient`` authenticated with the connection's ``pat``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``pat``.
        ImportError: the ``asana`` package is not installed.
    """
    check_connection_name(connection)
    (pat,) = require_vars(connection, "pat")
    asana = import_library("asana", "asana", "asana")
    configuration = asana.Configuration()
    configuration.access_token = pat
    return asana.ApiClient(configuration)
