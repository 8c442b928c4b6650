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
    """'Pizza leads with 4 of 5 votes', 'Pizza and Sushi ended in a tie (2 of 4 votes each)', 'no votes yet'.

    A poll that hides its results says only how many ballots it holds until
    it closes; one that closed below its quorum has no winner.
    """
    rules, total = poll.voting, poll.total_votes
    if rules.hide_results and is_open:
        return f"{plural(total, 'ballot')} cast; results hidden until it closes"
    if not is_open and not poll.quorum_reached:
        return f"no quorum: {total} of the {plural(rules.quorum or 0, 'ballot')} needed; no winner"
    said = _lead(poll, is_open, name)
    if is_open and not poll.quorum_reached:
        said += f"; quorum: {total} of the {plural(rules.quorum or 0, 'ballot')} needed so far"
    return said


def _lead(poll: Poll, is_open: bool, name: Callable[[str], str]) -> str:
    front = poll.front
    if not poll.total_votes:
        return "no votes yet" if is_open else "no votes were cast"
    if len(front) == 1:
        return f"{name(front[0].name)} {'leads' if is_open else 'won'} with {measure(poll, front[0])}"
    names = " and ".join(name(o.name) for o in front)
    state = "tied" if is_open else "ended in a tie"
    if poll.method == "single":
        return f"{names} {state} at {plural(front[0].votes, 'vote')} each"
    return f"{names} {state} ({measure(poll, front[0])} each)"
