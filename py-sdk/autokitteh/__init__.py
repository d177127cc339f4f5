"""AutoKitteh compatibility: ``import autokitteh`` gives Pounce's SDK under AutoKitteh's names."""

from pounce import *  # noqa: F403
from pounce import __all__ as _pounce_all
from pounce.syscall import _syscall  # noqa: F401  (the single door to the daemon)

from . import errors

__all__ = [name for name in _pounce_all if name != "errors"] + ["errors"]
del _pounce_all
