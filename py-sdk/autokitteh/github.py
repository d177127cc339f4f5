"""``autokitteh.github``: a PyGithub client built from a connection's variables.

``PyGithub`` is imported when a client is made, not when this module is, so projects that
do not use GitHub need not install it.
"""

import os

from pounce.errors import ConnectionInitError

from .connections import check_connection_name


def _base_url(connection: str) -> str | None:
    enterprise = os.getenv(f"{connection}__enterprise_url") or os.getenv("GITHUB_ENTERPRISE_URL")
    if enterprise:
        return enterprise.rstrip("/") + "/api/v3"
    return os.getenv("POUNCE_GITHUB_API_URL") or None


def github_client(connection: str, **kwargs):
    """A ``github.Github`` client for a GitHub connection.

    With the connection's ``pat`` it authenticates as that user; else with ``app_id``,
    ``install_id`` and ``private_key`` it authenticates as the GitHub App's installation
    (installation tokens, refreshed by PyGithub). The API is GitHub Enterprise Server's
    when ``enterprise_url`` (or ``GITHUB_ENTERPRISE_URL``) is set, else
    ``POUNCE_GITHUB_API_URL`` when set (e.g. a test server), else github.com's;
    ``base_url=...`` overrides them.

    Raises:
        ValueError: the connection name is invalid.
        ImportError: the ``PyGithub`` package is not installed.
        ConnectionInitError: the connection has no credentials.
    """
    check_connection_name(connection)
    try:
        from github import Auth, Github
    except ImportError as err:
        raise ImportError(
            'autokitteh.github needs the "PyGithub" package: add PyGithub to the '
            "project's requirements.txt (or pip install PyGithub)"
        ) from err
    pat = os.getenv(f"{connection}__pat")
    if pat:
        auth = Auth.Token(pat)
    else:
        app_id = os.getenv(f"{connection}__app_id")
        install_id = os.getenv(f"{connection}__install_id")
        private_key = os.getenv(f"{connection}__private_key")
        if not (app_id and install_id and private_key):
            raise ConnectionInitError(connection)
        app = Auth.AppAuth(int(app_id) if app_id.isdigit() else app_id, private_key)
        auth = app.get_installation_auth(int(install_id))
    base_url = _base_url(connection)
    if base_url:
        kwargs.setdefault("base_url", base_url)
    return Github(auth=auth, **kwargs)
