"""``autokitteh.pipedrive``: a Pipedrive client built from a connection's variables."""

from .connections import check_connection_name, import_library, require_vars


def pipedrive_client(connection: str):
    """A ``pipedrive.client.Client`` for the connection's ``company_domain`` with its
    ``api_key``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``api_key`` or ``company_domain``.
        ImportError: the ``pipedrive-python-lib`` package is not installed.
    """
    check_connection_name(connection)
    api_key, domain = require_vars(connection, "api_key", "company_domain")
    pipedrive = import_library("pipedrive", "pipedrive.client", "pipedrive-python-lib")
    client = pipedrive.Client(domain=domain)
    client.set_api_token(api_key)
    return client
