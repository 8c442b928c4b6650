"""Ranked ballots, counted three ways: instant runoff, Condorcet, Schulze.

The poll's result is instant-runoff voting (see `irv`): `leaders` are the IRV
winners and `votes` the first preferences. Beside it, from the same ballots'
pairwise contests (see `condorcet`): the Condorcet winner if there is one, a
majority cycle when there is not, and the Schulze ranking, so a reader can see
when the methods disagree, as they do in the textbook Tennessee example.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .base import Tally, grouped, name_list
from .condorcet import condorcet_winner, majority_cycle, pairwise, schulze_ranking, smith_set
from .irv import instant_runoff

NAME = "ranked"


def tally(options: Sequence[str], ballots: Iterable[tuple[tuple, int]]) -> Tally:
    """Count (ballot, weight) groups where a ballot is a tuple of distinct option indices, best first."""
    merged = grouped(ballots)
    count = sum(merged.values())
    first = [0] * len(options)
    for ballot, weight in merged.items():
        if ballot:
            first[ballot[0]] += weight
    rounds, winners = instant_runoff(options, merged)
    d = pairwise(len(options), merged)
    winner = condorcet_winner(d) if count else None
    smith = smith_set(d) if count else []
    cycle = majority_cycle(d, smith) if count and winner is None else None
    if cycle is not None and not all(d[a][b] > d[b][a] for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True)):
        cycle = None  # the Smith set is held together by pairwise ties: no option beats the next
    extra = {
        "rounds": rounds,
        "condorcet_winner": options[winner] if winner is not None else None,
        "schulze_ranking": [name_list(options, group) for group in schulze_ranking(d)],
        "condorcet_cycle": name_list(options, cycle) if cycle is not None else None,
        "smith_set": name_list(options, smith),
        "irv_winner": options[winners[0]] if len(winners) == 1 else None,
    }
    return Tally(NAME, count, tuple(first), winners, tuple({} for _ in options), extra)
