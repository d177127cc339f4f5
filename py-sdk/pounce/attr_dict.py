"""AttrDict: a dict whose keys can also be read as attributes."""

from typing import Any


def wrap(value: Any) -> Any:
    """Wrap dicts (also inside lists and tuples) as AttrDicts, recursively."""
    if isinstance(value, dict) and not isinstance(value, AttrDict):
        return AttrDict(value)
    if type(value) is list:
        return [wrap(v) for v in value]
    if type(value) is tuple:
        return tuple(wrap(v) for v in value)
    return value


class AttrDict(dict):
    """A dict with read-only attribute access to its keys; nested dicts are wrapped.

    >>> config = AttrDict({'server': {'port': 8080}, 'debug': True})
    >>> config.server.port
    8080
    >>> config['server']['port'] = 9090  # item assignment works
    >>> config.server.port
    9090

    Setting an attribute (``config.debug = False``) raises NotImplementedError,
    as in AutoKitteh.
    """

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, value in dict.items(self):
            wrapped = wrap(value)
            if wrapped is not value:
                dict.__setitem__(self, key, wrapped)

    def __getattr__(self, name: str) -> Any:
        try:
            value = self[name]
        except KeyError:
            # "from None" hides the confusing KeyError from the stack trace.
            raise AttributeError(name) from None
        wrapped = wrap(value)
        if wrapped is not value:
            dict.__setitem__(self, name, wrapped)
        return wrapped

    def __setattr__(self, name: str, value: Any) -> None:
        cls = self.__class__.__name__
        raise NotImplementedError(f"{cls} does not support setting attributes")

    def __delattr__(self, name: str) -> None:
        cls = self.__class__.__name__
        raise NotImplementedError(f"{cls} does not support deleting attributes")

    def __dir__(self):
        return [*super().__dir__(), *(k for k in self if isinstance(k, str))]
