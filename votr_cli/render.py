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


MAX_BAR = 30
PIPE_WIDTH = 10_000  # wide enough that nothing piped ever wraps: one row, one line


def make_console(stderr: bool = False) -> Console:
    from rich.console import Console

    # highlight=False: Rich would otherwise colour numbers and words in our data.
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def glyphs() -> tuple[str, str]:
    """The bar and the mark, or ASCII stand-ins where standard output's encoding has neither (latin-1)."""
    import sys

    out = sys.stdout
    out = getattr(out, "rich_proxied_file", out)  # inside Rich's Live, stdout is a proxy that hides its encoding
    try:
        "█◀".encode(getattr(out, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return "#", "<"
    return "█", "◀"


def emit(renderable: RenderableType) -> None:
    """On a terminal, Rich at the terminal's width; into a pipe, lines that never wrap and end in no blank."""
    import io
    import sys

    from rich.console import Console

    console = make_console()
    if console.is_terminal:
        console.print(renderable)
        return
    buf = io.StringIO()
    Console(file=buf, width=PIPE_WIDTH, highlight=False, soft_wrap=False, color_system=None).print(renderable)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines()))
    sys.stdout.flush()


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
    # The bars take what the rest of the table leaves of the width: on a narrow
    # terminal they shrink (then go) before any cell has to wrap.
    bare = _result_table(poll, now, 0)
    bar_width = min(MAX_BAR, width - _measure(bare, width) - 2)
    parts.append(_result_table(poll, now, bar_width) if bar_width >= 3 else bare)
    if poll.total_votes and poll.method in ("ranked", "score"):
        from .render_counts import count_lines

        parts += [Text(line) for line in count_lines(poll, now)]
    parts += _turnout(poll)
    parts.append(Text(status_line(poll, now), style="" if is_open else "dim"))
    return Group(*parts)


def _measure(table: RenderableType, width: int) -> int:
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=max(width, 1))
    return console.measure(table).maximum


def _result_table(poll: Poll, now: datetime, bar_width: int) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    bar, arrow = glyphs()
    # While open, the options ahead are marked even below the quorum; once closed, only winners.
    leaders = {o.number for o in poll.leaders_at(now)}
    mark = "leader" if poll.is_open(now) else "winner"
    if len(leaders) > 1:
        mark = "tie"
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
            row.append(Text(bar * round(share * bar_width), style="green" if lead else "blue"))
        row.append(Text(f"{arrow} {mark}" if lead else "", style="bold"))
        table.add_row(*row)
    return table


def _turnout(poll: Poll) -> list[RenderableType]:
    from rich.text import Text

    size = poll.voting.roll_size
    return [] if size is None else [Text(f"turnout: {poll.total_votes} of {size} voted")]


def print_poll(poll: Poll, now: datetime) -> None:
    console = make_console()
    emit(poll_view(poll, now, console.width if console.is_terminal else PIPE_WIDTH))


def print_poll_list(polls: list[Poll], now: datetime, empty_hint: str) -> None:
    from rich.table import Table
    from rich.text import Text

    if not polls:
        emit(empty_hint)
        return
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("votes", justify="right")
    table.add_column("leader", overflow="fold")
    table.add_column("time", overflow="fold")
    for poll in polls:
        leaders = poll.leaders_at(now)
        if not poll.results_visible(now):
            leader = "hidden"
        elif poll.no_winner(now):
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
    emit(table)
