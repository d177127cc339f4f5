"""``autokitteh.salesforce``: a simple-salesforce client built from a connection."""

from .connections import check_connection_name, import_library, require_vars


def salesforce_client(connection: str, **kwargs):
    """A ``simple_salesforce.Salesforce`` client for the connection's ``instance_url``
    with its ``oauth_access_token``; ``kwargs`` go to ``Salesforce``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``oauth_access_token`` or
            ``instance_url``.
        ImportError: the ``simple-salesforce`` package is not installed.
    """
    check_connection_name(connection)
    token, instance_url = require_vars(connection, "oauth_access_token", "instance_url")
    simple_salesforce = import_library("salesforce", "simple_salesforce", "simple-salesforce")
    return simple_salesforce.Salesforce(instance_url=instance_url, session_id=token, **kwargs)
