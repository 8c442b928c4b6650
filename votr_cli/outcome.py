"""Words for where a poll stands, per counting method; shared by `show`, `list` and the daemon's log.

No rich here: the daemon's log uses it too.
"""

from __future__ import annotations

from collections.abc import Callable

from .polls import Option, Poll


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def measure(poll: Poll, option: Option) -> str:
    """How far ahead an option stands, in its method's own terms: '4 of 5 votes', 'a total of 19'."""
    total = poll.total_votes
    if poll.method == "approval":
        return f"{plural(option.votes, 'approval')} from {plural(total, 'ballot')}"
    if poll.method == "score":
        extra = poll.tally.option_extra[option.number - 1]
        return f"a total of {extra['score']} (average {extra['average']:g})"
    if poll.method == "ranked":
        rounds = poll.tally.extra.get("rounds") or []
        if rounds:
            last = rounds[-1]["counts"]
            held, live = last.get(option.name, 0), sum(last.values())
            return f"{held} of {live} in round {len(rounds)}"
    return f"{option.votes} of {plural(total, 'vote')}"


def standing(poll: Poll, is_open: bool, name: Callable[[str], str]) -> str:
    """'Pizza leads with 4 of 5 votes', 'Pizza and Sushi ended in a tie (2 of 4 votes each)', 'no votes yet'."""
    leaders = poll.leaders
    if not poll.total_votes:
        return "no votes yet" if is_open else "no votes were cast"
    if len(leaders) == 1:
        return f"{name(leaders[0].name)} {'leads' if is_open else 'won'} with {measure(poll, leaders[0])}"
    names = " and ".join(name(o.name) for o in leaders)
    state = "tied" if is_open else "ended in a tie"
    if poll.method == "single":
        return f"{names} {state} at {plural(leaders[0].votes, 'vote')} each"
    return f"{names} {state} ({measure(poll, leaders[0])} each)"
