"""``autokitteh.twilio``: a Twilio client built from a connection's variables."""

from .connections import check_connection_name, conn_var, import_library, require_vars


def twilio_client(connection: str):
    """A ``twilio.rest.Client`` authenticated with the connection's ``Username`` and
    ``Password`` (an account SID and auth token, or an API key SID and secret), for the
    account ``AccountSID`` when set.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``Username`` or ``Password``.
        ImportError: the ``twilio`` package is not installed.
    """
    check_connection_name(connection)
    username, password = require_vars(connection, "Username", "Password")
    account_sid = conn_var(connection, "AccountSID") or None
    rest = import_library("twilio", "twilio.rest", "twilio")
    return rest.Client(username, password, account_sid=account_sid)
