"""Counting methods: one module per method, each a pure function from ballots to a Tally.

The registry names modules rather than importing them, so a command pays only
for the method its poll uses (DESIGN.md invariant 7).
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

METHODS: dict[str, str] = {
    "single": "votr_cli.methods.single",
    "approval": "votr_cli.methods.approval",
    "ranked": "votr_cli.methods.ranked",
    "score": "votr_cli.methods.score",
}


def get(name: str) -> ModuleType:
    """The module counting `name`; it exposes `NAME` and `tally(options, ballots) -> Tally`."""
    try:
        path = METHODS[name]
    except KeyError:
        raise KeyError(f"unknown counting method: {name!r}") from None
    return import_module(path)
