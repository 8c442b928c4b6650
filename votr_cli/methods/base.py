"""What every counting method returns, and the few helpers they share.

A method is a pure function: options and grouped ballots in, a Tally out. No
I/O, no clock, nothing beyond the cheapest of the standard library, so the
result can be checked by hand against a textbook and importing it costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple


class Tally(NamedTuple):
    """One poll's result: option indices for code, option names wherever JSON will show them."""

    method: str
    # Ballots counted: the sum of the groups' weights.
    ballots: int
    # Per option, in option order; what a "vote" is depends on the method (see its module).
    votes: tuple[int, ...]
    # Indices of the options that lead or won, ties included; () with no ballots.
    leaders: tuple[int, ...]
    # Per option, keys to merge into that option's JSON.
    option_extra: tuple[dict, ...]
    # Method-level JSON keys, naming options by name.
    extra: dict


def grouped(ballots: Iterable[tuple[tuple, int]]) -> dict[tuple, int]:
    """Ballot -> weight, merging groups that hold the same ballot.

    Lets a method walk the ballots more than once (the caller may pass a
    one-shot cursor), and makes plain that neither the order nor the grouping
    the store chose can change a result.
    """
    merged: dict[tuple, int] = {}
    for ballot, weight in ballots:
        merged[ballot] = merged.get(ballot, 0) + weight
    return merged


def most(values: Sequence[int], ballots: int) -> tuple[int, ...]:
    """Indices holding the largest value, ties included; () when nobody voted."""
    if not ballots or not values:
        return ()
    top = max(values)
    return tuple(i for i, value in enumerate(values) if value == top)


def name_list(options: Sequence[str], indices: Iterable[int]) -> list[str]:
    return [options[i] for i in indices]
