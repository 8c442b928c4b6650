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
    leaders = poll.leaders
    if not poll.total_votes:
        outcome = "no votes yet" if poll.is_open(now) else "no votes were cast"
    elif len(leaders) == 1:
        verb = "leads" if poll.is_open(now) else "won"
        outcome = f"{safe(leaders[0].name)} {verb} with {leaders[0].votes} of {poll.total_votes} votes"
    else:
        names = " and ".join(safe(o.name) for o in leaders)
        state = "tied" if poll.is_open(now) else "ended in a tie"
        outcome = f"{names} {state} at {leaders[0].votes} votes each"
    return f"{phrase}; {outcome}"


def make_console(stderr: bool = False) -> Console:
    from rich.console import Console

    # highlight=False: Rich would otherwise colour numbers and words in our data.
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def poll_view(poll: Poll, now: datetime, width: int) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    is_open = poll.is_open(now)
    leaders = {o.number for o in poll.leaders}
    mark = "leader" if is_open else "winner"
    if len(leaders) > 1:
        mark = "tie"
    bar_width = max(0, min(30, width - 50))
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("option", overflow="fold")
    table.add_column("votes", justify="right")
    table.add_column("%", justify="right")
    if bar_width:
        table.add_column("", no_wrap=True)
    table.add_column("")
    total = poll.total_votes
    for o in poll.options:
        share = o.votes / total if total else 0.0
        lead = o.number in leaders
        row: list[RenderableType] = [
            str(o.number),
            Text(safe(o.name), style="bold" if lead else ""),
            str(o.votes),
            f"{share:.0%}",
        ]
        if bar_width:
            row.append(Text("█" * round(share * bar_width), style="green" if lead else "blue"))
        row.append(Text(f"◀ {mark}" if lead else "", style="bold"))
        table.add_row(*row)
    header = Text.assemble((f"Poll {poll.id}: ", "bold"), (safe(poll.title, keep_newlines=True), "bold"))
    footer = Text(status_line(poll, now), style="" if is_open else "dim")
    return Group(header, table, footer)


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
        leaders = poll.leaders
        if not leaders:
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
