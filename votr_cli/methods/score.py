"""Score (range) voting, with the STAR runoff beside it.

Score voting: each ballot rates options from 0 up; the highest total leads
(Smith, "Range Voting", 2000; Wikipedia, "Score voting"). Unrated options
score 0, and an option's `votes` are the ballots that rated it above 0.

STAR, "Score Then Automatic Runoff" (Equal Vote Coalition, starvoting.org;
Wikipedia, "STAR voting"): the two options with the highest totals go to a
runoff, and the one rated strictly higher on more ballots wins. Equal in the
runoff, the higher total wins; equal in both, there is no STAR winner (null)
rather than a coin toss the CLI could not reproduce.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .base import Tally, grouped, most

NAME = "score"


def tally(options: Sequence[str], ballots: Iterable[tuple[tuple, int]]) -> Tally:
    """Count (ballot, weight) groups where a ballot is a tuple of (option index, score) pairs."""
    merged = grouped(ballots)
    totals = [0] * len(options)
    rated = [0] * len(options)
    count = 0
    for ballot, weight in merged.items():
        count += weight
        for choice, score in ballot:
            totals[choice] += score * weight
            if score > 0:
                rated[choice] += weight
    option_extra = tuple({"score": t, "average": round(t / count, 2) if count else 0.0} for t in totals)
    star_winner, runoff = star(options, merged, totals, count)
    extra = {"star_winner": star_winner, "star_runoff": runoff}
    return Tally(NAME, count, tuple(rated), most(totals, count), option_extra, extra)


def star(
    options: Sequence[str], ballots: dict[tuple, int], totals: Sequence[int], count: int
) -> tuple[str | None, dict | None]:
    """The STAR winner's name (or None) and the runoff's JSON (None when no runoff is held)."""
    if not count or not options:
        return None, None
    if len(options) == 1:
        return options[0], None
    # A tie for second place (or a tie for first among three or more) sends the
    # earlier-listed options to the runoff: a fixed rule a voter can check and a
    # recount repeats. (The Equal Vote rules look at head-to-head preferences
    # among the tied first and end in a drawing of lots.)
    first, second = sorted(range(len(options)), key=lambda i: (-totals[i], i))[:2]
    prefer_first = prefer_second = equal = 0
    for ballot, weight in ballots.items():
        scores = dict(ballot)
        a, b = scores.get(first, 0), scores.get(second, 0)
        if a > b:
            prefer_first += weight
        elif b > a:
            prefer_second += weight
        else:
            equal += weight
    if prefer_first != prefer_second:
        winner: int | None = first if prefer_first > prefer_second else second
    elif totals[first] != totals[second]:
        winner = first  # sorted by total, so a difference favours the first finalist
    else:
        winner = None
    runoff = {
        "finalists": [options[first], options[second]],
        "preferred": {options[first]: prefer_first, options[second]: prefer_second},
        "equal": equal,
    }
    return (options[winner] if winner is not None else None), runoff
