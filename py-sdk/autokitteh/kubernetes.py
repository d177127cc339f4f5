"""``autokitteh.kubernetes``: the Kubernetes client configured from a connection."""

import json

from pounce.errors import ConnectionInitError

from .connections import check_connection_name, import_library, require_vars


def kubernetes_client(connection: str):
    """The ``kubernetes.client`` module, configured with the connection's ``configFile``
    (a kubeconfig, as JSON).

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``configFile``, or it is not a valid
            kubeconfig.
        ImportError: the ``kubernetes`` package is not installed.
    """
    check_connection_name(connection)
    (config_file,) = require_vars(connection, "configFile")
    try:
        config_dict = json.loads(config_file)
    except json.JSONDecodeError:
        raise ConnectionInitError(connection, "valid configFile (a kubeconfig as JSON)") from None
    kubernetes = import_library("kubernetes", "kubernetes", "kubernetes")
    try:
        kubernetes.config.load_kube_config_from_dict(config_dict)
    except kubernetes.config.ConfigException as err:
        raise ConnectionInitError(connection, f"valid configFile ({err})") from err
    return kubernetes.client
