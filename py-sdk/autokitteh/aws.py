"""``autokitteh.aws``: a boto3 client built from a connection's variables."""

from .connections import check_connection_name, conn_var, import_library, require_vars


def boto3_client(connection: str, service: str, region: str = "", **kwargs):
    """A boto3 client for the AWS ``service`` (e.g. ``"s3"``), with the connection's
    ``AccessKeyID``, ``SecretKey`` and ``Token`` (a session token, optional), in ``region``
    or else the connection's ``Region``. ``kwargs`` go to ``boto3.client`` (e.g.
    ``endpoint_url``).

    Unlike AutoKitteh's, a connection without keys is refused rather than falling back to
    whatever AWS credentials the machine has.

    Raises:
        ValueError: the connection name is invalid, or ``service`` is empty.
        ConnectionInitError: the connection has no ``AccessKeyID`` or ``SecretKey``.
        ImportError: the ``boto3`` package is not installed.
    """
    check_connection_name(connection)
    if not service:
        raise ValueError("AWS service name is required")
    key_id, secret = require_vars(connection, "AccessKeyID", "SecretKey")
    boto3 = import_library("aws", "boto3", "boto3")
    return boto3.client(
        service,
        region or conn_var(connection, "Region") or None,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=conn_var(connection, "Token") or None,
        **kwargs,
    )
