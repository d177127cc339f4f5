"""``autokitteh.pydantic``: Pydantic AI providers built from a connection's ``api_key``.

The ``pydantic_ai`` package is imported when a provider is made.
"""

from typing import Any

from .connections import check_connection_name, import_library, require_vars


def _api_key(connection: str) -> str:
    check_connection_name(connection)
    (api_key,) = require_vars(connection, "api_key")
    return api_key


def pydantic_gateway_provider(connection: str, *args, **kwargs) -> Any:
    """A Pydantic AI Gateway provider with the connection's ``api_key``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``api_key``.
        ImportError: the ``pydantic-ai`` package is not installed.
    """
    api_key = _api_key(connection)
    module = import_library("pydantic", "pydantic_ai.providers.gateway", "pydantic-ai")
    return module.gateway_provider(*args, api_key=api_key, **kwargs)


def openai_pydantic_ai_provider(connection: str, **kwargs) -> Any:
    """A Pydantic AI ``OpenAIProvider`` with the connection's ``api_key`` (same raises)."""
    api_key = _api_key(connection)
    module = import_library("pydantic", "pydantic_ai.providers.openai", "pydantic-ai")
    return module.OpenAIProvider(api_key=api_key, **kwargs)


def anthropic_pydantic_ai_provider(connection: str, **kwargs) -> Any:
    """A Pydantic AI ``AnthropicProvider`` with the connection's ``api_key`` (same raises)."""
    api_key = _api_key(connection)
    module = import_library("pydantic", "pydantic_ai.providers.anthropic", "pydantic-ai")
    return module.AnthropicProvider(api_key=api_key, **kwargs)
