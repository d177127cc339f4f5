"""``autokitteh.connections``: helpers shared by the integration clients.

A connection's variables reach the session as environment variables named
``<connection>__<var>`` (AutoKitteh's variable names, e.g. ``slack__oauth_access_token``).
"""

import importlib
import os
import re
from datetime import datetime
from types import ModuleType

from pounce.errors import ConnectionInitError

from . import _oauth
from ._oauth import parse_expiry  # noqa: F401  (re-exported)


def check_connection_name(connection: str) -> None:
    """Raise ``ValueError`` unless ``connection`` is a valid connection name."""
    if not re.fullmatch(r"[A-Za-z_]\w*", connection or ""):
        raise ValueError(f'invalid connection name "{connection}"')


def refresh_oauth(integration: str, connection: str) -> tuple[str, datetime]:
    """A fresh OAuth access token and its expiry for the connection (AutoKitteh's name)."""
    return _oauth._refresh_oauth(integration, connection)


def conn_var(connection: str, name: str) -> str:
    """The connection's variable ``name``, ``""`` when it is not set."""
    return os.getenv(f"{connection}__{name}", "")


def require_vars(connection: str, *names: str) -> list[str]:
    """The values of the connection's variables ``names``, all of which must be set.

    Raises:
        ConnectionInitError: naming the connection and the variables it lacks.
    """
    values = [conn_var(connection, name) for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise ConnectionInitError(connection, " and ".join(missing))
    return values


def first_var(connection: str, *names: str) -> str:
    """The first set one of the connection's variables ``names``.

    Raises:
        ConnectionInitError: none is set (the message names them all).
    """
    for name in names:
        value = conn_var(connection, name)
        if value:
            return value
    raise ConnectionInitError(connection, " or ".join(names))


def import_library(integration: str, module: str, package: str) -> ModuleType:
    """Import a third-party client library, or say which package the project must add.

    Raises:
        ImportError: 'autokitteh.<integration> needs the "<package>" package: ...'.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f'autokitteh.{integration} needs the "{package}" package: add {package} to the '
            f"project's requirements.txt (or pip install {package})"
        ) from err


def oauth2_session(integration: str, connection: str):
    """A ``requests.Session`` (an ``OAuth2Session``) that sends the connection's
    ``oauth_access_token`` to an HTTP-only integration's API (refreshed as
    ``OAuth2Session`` says).

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``oauth_access_token``.
        OAuthRefreshError: the token expired and could not be refreshed.
        ImportError: the ``requests`` package is not installed.
    """
    check_connection_name(connection)
    require_vars(connection, "oauth_access_token")
    import_library(integration, "requests", "requests")
    from .oauth2_session import OAuth2Session

    return OAuth2Session(integration, connection)
