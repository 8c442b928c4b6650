"""Instant-runoff voting (IRV; also "alternative vote", "ranked-choice voting").

The textbook rule (Wikipedia, "Instant-runoff voting"; Hare's single-winner
case): each round counts every ballot for its highest-ranked option still in
the count. An option with more than half of the ballots still in play wins;
otherwise the option with fewest votes is eliminated and its ballots move on to
their next preference. A ballot that ranks no option still in the count is
exhausted and no longer part of the majority's base.

Ties for fewest (DESIGN.md, "Counting methods"), the "backwards" tie-break of
many election codes: among the tied, the one with fewer votes in the previous
round goes, and if they were tied there too, the round before that, and so on.
Options tied in every earlier round are eliminated together; when that would
eliminate every option left, they share the win instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import name_list


def instant_runoff(options: Sequence[str], ballots: dict[tuple, int]) -> tuple[list[dict], tuple[int, ...]]:
    """The rounds, as JSON, and the winners' indices (more than one only for a tie for the win)."""
    total = sum(ballots.values())
    if not total or not options:
        return [], ()
    continuing = set(range(len(options)))
    history: list[dict[int, int]] = []
    rounds: list[dict] = []
    # Each option's pile: the ballots counting for it now, with the place of
    # their current choice. A round moves only the eliminated options' piles,
    # so a count of many ballots is not walked again in every round.
    piles: dict[int, list[tuple[tuple, int, int]]] = {i: [] for i in continuing}
    tallied = dict.fromkeys(continuing, 0)
    exhausted = 0
    for ballot, weight in ballots.items():
        if ballot:
            piles[ballot[0]].append((ballot, weight, 0))
            tallied[ballot[0]] += weight
        else:
            exhausted += weight
    while True:
        counts = {i: tallied[i] for i in range(len(options)) if i in continuing}
        history.append(counts)
        record = {
            "counts": {options[i]: n for i, n in counts.items()},
            "eliminated": [],
            "exhausted": exhausted,
            "tie_break": None,
        }
        rounds.append(record)
        leader = max(counts, key=counts.__getitem__)
        if 2 * counts[leader] > total - exhausted or len(counts) == 1:
            return rounds, (leader,)
        fewest = min(counts.values())
        tied = [i for i, n in counts.items() if n == fewest]
        out, record["tie_break"] = _break_tie(options, tied, history, len(counts))
        if len(out) == len(counts):
            return rounds, tuple(out)
        record["eliminated"] = name_list(options, out)
        continuing.difference_update(out)
        for gone in out:
            del tallied[gone]
            for ballot, weight, place in piles.pop(gone):
                place += 1
                while place < len(ballot) and ballot[place] not in continuing:
                    place += 1
                if place < len(ballot):
                    piles[ballot[place]].append((ballot, weight, place))
                    tallied[ballot[place]] += weight
                else:
                    exhausted += weight


def _break_tie(
    options: Sequence[str], tied: list[int], history: list[dict[int, int]], left: int
) -> tuple[list[int], str | None]:
    """Who of the options tied for fewest is eliminated, and a sentence saying why."""
    if len(tied) == 1:
        return tied, None
    note = [f"{_and(name_list(options, tied))} tied at {history[-1][tied[0]]}"]
    still = tied
    quiet: list[int] = []  # earlier rounds, by number, that did not separate them
    for number in range(len(history) - 1, 0, -1):
        earlier = history[number - 1]
        low = min(earlier[i] for i in still)
        fewer = [i for i in still if earlier[i] == low]
        if len(fewer) == len(still):
            quiet.append(number)
            continue
        if quiet:
            note.append(f"also tied in {_rounds(quiet)}")
            quiet = []
        more = [str(earlier[i]) for i in still if earlier[i] != low]
        note.append(f"{_and(name_list(options, fewer))} had fewer in round {number} ({low} to {_and(more)})")
        still = fewer
        if len(still) == 1:
            return still, "; ".join(note)
    if quiet:
        note.append(f"also tied in {_rounds(quiet)}")
    elif len(history) == 1:
        note.append("no earlier round")
    if len(still) == left:
        note.append("they share the win")
    else:
        note.append("both eliminated" if len(still) == 2 else "all eliminated")
    return still, "; ".join(note)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _rounds(numbers: list[int]) -> str:
    ordered = [str(n) for n in sorted(numbers)]
    return f"round {ordered[0]}" if len(ordered) == 1 else f"rounds {_and(ordered)}"
