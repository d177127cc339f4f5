"""``autokitteh.discord``: a discord.py client and the bot token of a connection."""

from .connections import check_connection_name, import_library, require_vars


def discord_client(connection: str, intents=None, **kwargs):
    """A ``discord.Client`` with ``intents`` (default ``discord.Intents.default()``);
    ``kwargs`` go to ``discord.Client``. Start it with ``client.run(bot_token(conn))``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``BotToken``.
        ImportError: the ``discord.py`` package is not installed.
    """
    bot_token(connection)
    discord = import_library("discord", "discord", "discord.py")
    return discord.Client(intents=intents or discord.Intents.default(), **kwargs)


def bot_token(connection: str) -> str:
    """The connection's Discord bot token (``BotToken``).

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``BotToken``.
    """
    check_connection_name(connection)
    (token,) = require_vars(connection, "BotToken")
    return token
