from __future__ import annotations

import click

from ..errors import UsageError
from ._common import json_option, login_name, now, open_store, print_json, request_close


@click.command()
@click.argument("title")
@click.option(
    "-o", "--option", "options", multiple=True, metavar="OPTION", help="An answer to choose; repeat for each (2 to 26)."
)
@click.option(
    "--closes-in",
    metavar="DURATION",
    help="How long voting stays open: 90s, 45m, 2h, 1h30m, 1d, '2 hours' [default: 24h].",
)
@click.option(
    "--closes-at",
    metavar="WHEN",
    help="When voting ends: '2026-11-25 18:00', 18:00, 'Nov 25 6pm' (local time) or ISO 8601.",
)
@json_option
def create(title: str, options: tuple[str, ...], closes_in: str | None, closes_at: str | None, json_: bool) -> None:
    """Create a poll and schedule its close.

    \b
    Example:
      votr create "Lunch?" -o Pizza -o Sushi --closes-in 2h
      votr create "Retro topic" -o Tests -o Docs -o CI --closes-at 17:30
    """
    from .. import polls, timeparse

    if closes_in is not None and closes_at is not None:
        raise UsageError("--closes-in and --closes-at exclude each other; give one")
    started = now()
    if closes_at is not None:
        deadline = timeparse.deadline_from_when(closes_at, started)
    elif closes_in is not None:
        deadline = timeparse.deadline_from_duration(closes_in, started)
    else:
        deadline = started + polls.DEFAULT_OPEN_FOR
    conn = open_store()
    poll = polls.create_poll(conn, title, options, deadline, started, login_name())
    request_close(poll.id, poll.closes_at)
    if json_:
        print_json(poll.to_json(started))
        return
    from ..text import safe

    phrase = timeparse.remaining_phrase(poll.closes_at, started)
    click.echo(f"Created poll {poll.id}: {safe(poll.title)} with {len(poll.options)} options; {phrase}")
    click.echo(f"Vote with: votr vote {poll.id} CHOICE")
