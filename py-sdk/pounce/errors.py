"""SDK errors (the same classes as AutoKitteh's ``autokitteh.errors``)."""


class AutoKittehError(Exception):
    """Generic base class for all errors in the SDK."""

    def __init__(self, *args):
        super().__init__(*args)


class ConnectionInitError(AutoKittehError):
    """A required connection was not initialized yet.

    ``missing`` (a Pounce addition) names what the connection lacks, e.g. ``"api_key"``.
    """

    def __init__(self, connection: str, missing: str = ""):
        message = f"AutoKitteh connection {connection!r} not initialized"
        super().__init__(f"{message}: no {missing}" if missing else message)
        self.connection = connection
        self.missing = missing


class EnvVarError(AutoKittehError):
    """A required environment variable is missing or invalid."""

    def __init__(self, env_var: str, desc: str):
        super().__init__(f"Environment variable {env_var!r} is {desc}")


class OAuthRefreshError(AutoKittehError):
    """OAuth token refresh failed."""

    def __init__(self, connection: str, error):
        super().__init__(f"OAuth refresh failed for {connection!r} connection: {error}")


class AuthenticationError(AutoKittehError):
    """Authentication with a service failed."""


# Pounce's own name for the base class.
PounceError = AutoKittehError
