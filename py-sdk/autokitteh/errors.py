"""``autokitteh.errors``: the SDK's error classes."""

from pounce.errors import (  # noqa: F401
    AuthenticationError,
    AutoKittehError,
    ConnectionInitError,
    EnvVarError,
    OAuthRefreshError,
)
