"""``autokitteh.telegram``: a python-telegram-bot ``Bot`` built from a connection."""

from .connections import check_connection_name, import_library, require_vars


def telegram_client(connection: str):
    """A ``telegram.Bot`` with the connection's ``BotToken``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``BotToken``.
        ImportError: the ``python-telegram-bot`` package is not installed.
    """
    check_connection_name(connection)
    (token,) = require_vars(connection, "BotToken")
    return import_library("telegram", "telegram", "python-telegram-bot").Bot(token=token)
