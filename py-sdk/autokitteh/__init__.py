"""AutoKitteh compatibility: ``import autokitteh`` gives Pounce's SDK under AutoKitteh's names."""

import sys

from pounce import *  # noqa: F403
from pounce import __all__ as _pounce_all
from pounce import errors
from pounce.syscall import _syscall  # noqa: F401  (the single door to the daemon)

# ``import autokitteh.errors`` (as AutoKitteh projects do) gives pounce.errors itself, so
# ``autokitteh.errors`` stays one module with one set of classes whatever imports it.
sys.modules[f"{__name__}.errors"] = errors

__all__ = [name for name in _pounce_all if name != "errors"] + ["errors"]
del _pounce_all
