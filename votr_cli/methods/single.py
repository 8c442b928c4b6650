"""Plurality ("first past the post"): each ballot names one option; the most ballots lead.

The single-mark rule of every textbook (e.g. Wikipedia, "Plurality voting").
A tie for most is reported as a tie: all tied options lead, none is picked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .base import Tally, most

NAME = "single"


def tally(options: Sequence[str], ballots: Iterable[tuple[tuple, int]]) -> Tally:
    """Count (ballot, weight) groups where a ballot is `(option index,)`."""
    votes = [0] * len(options)
    total = 0
    for (choice,), weight in ballots:
        votes[choice] += weight
        total += weight
    return Tally(NAME, total, tuple(votes), most(votes, total), tuple({} for _ in options), {})
