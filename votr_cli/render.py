"""How polls look: Rich tables and bars, remaining-time words, safe text.

Rich is imported inside the functions that draw, so the plain-text paths
(`votr vote`) never load it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .polls import Poll
from .text import safe
from .timefmt import remaining_phrase

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


def status_line(poll: Poll, now: datetime) -> str:
    """'closes in 1 hour 59 minutes (18:00 local)' / 'closed 3 minutes ago', plus the outcome."""
    phrase = remaining_phrase(poll.closes_at, now, poll.ended_at(now))
    from .outcome import standing

    outcome = standing(poll, poll.is_open(now), safe)
    return f"{phrase}; {outcome}"


def make_console(stderr: bool = False) -> Console:
    from rich.console import Console

    # highlight=False: Rich would otherwise colour numbers and words in our data.
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _columns(poll: Poll) -> tuple[list[str], list]:
    """The method's columns after '#' and 'option', each option's cells, and the share its bar draws."""
    total = poll.total_votes
    rows = []
    if poll.method == "score":
        top = max((x["score"] for x in poll.tally.option_extra), default=0)
        for o, x in zip(poll.options, poll.tally.option_extra, strict=True):
            rows.append(([str(x["score"]), f"{x['average']:.2f}", str(o.votes)], x["score"] / top if top else 0.0))
        return ["total", "avg", "rated"], rows
    for o in poll.options:
        share = o.votes / total if total else 0.0
        rows.append(([str(o.votes), f"{share:.0%}"], share))
    if poll.method == "approval":
        return ["approvals", "of ballots"], rows
    if poll.method == "ranked":
        return ["1st choice", "%"], rows
    return ["votes", "%"], rows


def poll_view(poll: Poll, now: datetime, width: int) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    is_open = poll.is_open(now)
    header = Text.assemble((f"Poll {poll.id}: ", "bold"), (safe(poll.title, keep_newlines=True), "bold"))
    parts: list[RenderableType] = [header]
    rules = poll.voting.words()
    if rules:
        parts.append(Text(f"rules: {'; '.join(rules)}", style="dim"))
    if not poll.results_visible(now):
        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        table.add_column("#", justify="right")
        table.add_column("option", overflow="fold")
        for o in poll.options:
            table.add_row(str(o.number), Text(safe(o.name)))
        return Group(*parts, table, *_turnout(poll), Text(status_line(poll, now)))
    # While open, the options ahead are marked even below the quorum; once closed, only winners.
    leaders = {o.number for o in (poll.front if is_open else poll.leaders)}
    mark = "leader" if is_open else "winner"
    if len(leaders) > 1:
        mark = "tie"
    bar_width = max(0, min(30, width - 50))
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("option", overflow="fold")
    heads, cells = _columns(poll)
    for head in heads:
        table.add_column(head, justify="right")
    if bar_width:
        table.add_column("", no_wrap=True)
    table.add_column("")
    for o, (values, share) in zip(poll.options, cells, strict=True):
        lead = o.number in leaders
        row: list[RenderableType] = [str(o.number), Text(safe(o.name), style="bold" if lead else ""), *values]
        if bar_width:
            row.append(Text("█" * round(share * bar_width), style="green" if lead else "blue"))
        row.append(Text(f"◀ {mark}" if lead else "", style="bold"))
        table.add_row(*row)
    parts.append(table)
    if poll.total_votes and poll.method in ("ranked", "score"):
        from .render_counts import count_lines

        parts += [Text(line) for line in count_lines(poll)]
    parts += _turnout(poll)
    parts.append(Text(status_line(poll, now), style="" if is_open else "dim"))
    return Group(*parts)


def _turnout(poll: Poll) -> list[RenderableType]:
    from rich.text import Text

    size = poll.voting.roll_size
    return [] if size is None else [Text(f"turnout: {poll.total_votes} of {size} voted")]


def print_poll(poll: Poll, now: datetime) -> None:
    console = make_console()
    console.print(poll_view(poll, now, console.width))


def print_poll_list(polls: list[Poll], now: datetime, empty_hint: str) -> None:
    from rich.table import Table
    from rich.text import Text

    console = make_console()
    if not polls:
        console.print(empty_hint)
        return
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("votes", justify="right")
    table.add_column("leader", overflow="fold")
    table.add_column("time", overflow="fold")
    for poll in polls:
        is_open = poll.is_open(now)
        leaders = poll.front if is_open else poll.leaders
        if not poll.results_visible(now):
            leader = "hidden"
        elif not is_open and not poll.quorum_reached:
            leader = "no quorum"
        elif not leaders:
            leader = "-"
        elif len(leaders) == 1:
            leader = safe(leaders[0].name)
        else:
            leader = "tie: " + ", ".join(safe(o.name) for o in leaders)
        table.add_row(
            str(poll.id),
            Text(safe(poll.title)),
            str(poll.total_votes),
            Text(leader),
            remaining_phrase(poll.closes_at, now, poll.ended_at(now)),
        )
    console.print(table)
