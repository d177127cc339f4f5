"""``autokitteh.redis``: a Redis client built from a connection's ``url``."""

from .connections import check_connection_name, import_library, require_vars


def redis_client(connection: str, **kwargs):
    """A ``redis.Redis`` client for the connection's ``url``; ``kwargs`` go to
    ``Redis.from_url``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``url``.
        ImportError: the ``redis`` package is not installed.
    """
    check_connection_name(connection)
    (url,) = require_vars(connection, "url")
    return import_library("redis", "redis", "redis").Redis.from_url(url, **kwargs)
