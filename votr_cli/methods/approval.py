"""Approval voting: each ballot approves any number of options; the most approvals lead.

The rule as Brams and Fishburn define it ("Approval Voting", American
Political Science Review, 1978; Wikipedia, "Approval voting"). Each option also
reports its share: the fraction of ballots that approve it, which, unlike a
share of all approvals, means the same whatever other options are on offer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .base import Tally, most

NAME = "approval"


def tally(options: Sequence[str], ballots: Iterable[tuple[tuple, int]]) -> Tally:
    """Count (ballot, weight) groups where a ballot is a tuple of distinct option indices."""
    approvals = [0] * len(options)
    total = 0
    for ballot, weight in ballots:
        for choice in ballot:
            approvals[choice] += weight
        total += weight
    shares = tuple({"share": round(n / total, 4) if total else 0.0} for n in approvals)
    return Tally(NAME, total, tuple(approvals), most(approvals, total), shares, {})
