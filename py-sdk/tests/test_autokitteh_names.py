"""Every ``autokitteh.*`` name that real AutoKitteh projects use resolves in Pounce's SDK.

The list is of dotted names (facts about AutoKitteh's public API), gathered from the
projects of AutoKitteh's public sample repository (autokitteh_names.txt);
``missing_names()`` gives those that do not resolve.
"""

import importlib
from pathlib import Path

import pytest

NAMES_FILE = Path(__file__).with_name("autokitteh_names.txt")
AUTOKITTEH_NAMES = [
    line.strip()
    for line in NAMES_FILE.read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


def resolves(dotted: str) -> bool:
    """Whether ``dotted`` imports as a module, or as an attribute of its parent module."""
    try:
        importlib.import_module(dotted)
        return True
    except ImportError:
        pass
    module, _, attr = dotted.rpartition(".")
    try:
        return hasattr(importlib.import_module(module), attr)
    except ImportError:
        return False


def missing_names(names=AUTOKITTEH_NAMES) -> list[str]:
    return [name for name in names if not resolves(name)]


def test_every_name_resolves():
    assert missing_names() == []


@pytest.mark.parametrize("dotted", ["autokitteh.nope", "autokitteh.slack.nope", "nope.x"])
def test_a_missing_name_is_reported(dotted):
    assert missing_names([dotted]) == [dotted]
