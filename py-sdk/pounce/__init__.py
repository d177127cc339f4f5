"""Pounce Python SDK: durable, event-triggered workflows.

The same API is importable as ``autokitteh`` for AutoKitteh projects.
Only the standard library is used.
"""

from . import errors
from .activities import activity, inhibit_activities, register_no_activity
from .attr_dict import AttrDict
from .errors import (
    AuthenticationError,
    AutoKittehError,
    ConnectionInitError,
    EnvVarError,
    OAuthRefreshError,
)
from .event import Event, HttpBody
from .outcomes import http_outcome, outcome
from .sessions import (
    Signal,
    next_event,
    next_signal,
    signal,
    sleep,
    start,
    subscribe,
    unsubscribe,
)
from .store import (
    add_values,
    check_and_set_value,
    del_value,
    get_value,
    list_values_keys,
    mutate_value,
    publish_value,
    set_value,
    store,
    unpublish_value,
)
from .urls import get_store_public_url, get_webhook_url

__version__ = "0.1.0"

__all__ = [
    "AttrDict",
    "AuthenticationError",
    "AutoKittehError",
    "ConnectionInitError",
    "EnvVarError",
    "Event",
    "HttpBody",
    "OAuthRefreshError",
    "Signal",
    "activity",
    "add_values",
    "check_and_set_value",
    "del_value",
    "errors",
    "get_store_public_url",
    "get_value",
    "get_webhook_url",
    "http_outcome",
    "inhibit_activities",
    "list_values_keys",
    "mutate_value",
    "next_event",
    "next_signal",
    "outcome",
    "publish_value",
    "register_no_activity",
    "set_value",
    "signal",
    "sleep",
    "start",
    "store",
    "subscribe",
    "unpublish_value",
    "unsubscribe",
]
