"""``autokitteh.connections``: helpers shared by the integration clients."""

import re


def check_connection_name(connection: str) -> None:
    """Raise ``ValueError`` unless ``connection`` is a valid connection name."""
    if not re.fullmatch(r"[A-Za-z_]\w*", connection or ""):
        raise ValueError(f'invalid connection name "{connection}"')
