from __future__ import annotations

import click

from ..errors import UsageError
from ._common import json_option, login_name, now, open_store, poll_argument, print_json, request_close


@click.command()
@poll_argument
@click.option("--by", metavar="DURATION", help="Add this to the deadline (or to now, if it has passed): 30m, 1h, 1d.")
@click.option(
    "--to", "to", metavar="WHEN", help="Set the deadline: '2026-11-25 18:00', 18:00, 'Nov 25 6pm' or ISO 8601."
)
@json_option
def extend(poll: str, by: str | None, to: str | None, json_: bool) -> None:
    """Move POLL's deadline later; a closed poll reopens.

    \b
    Example:
      votr extend 3 --by 30m
      votr extend 3 --to 18:00
    """
    from .. import polls, timeparse
    from ..text import safe

    if (by is None) == (to is None):
        raise UsageError("give one of --by DURATION or --to WHEN")
    poll_id = polls.parse_poll_id(poll)
    delta = timeparse.parse_duration(by) if by is not None else None
    when = timeparse.parse_when(to, now()) if to is not None else None
    moved, reopened = polls.extend_poll(open_store(), poll_id, login_name(), now, by=delta, to=when)
    at = now()
    request_close(moved.id, moved.closes_at)
    if json_:
        print_json(moved.to_json(at))
        return
    verb = "Reopened" if reopened else "Extended"
    click.echo(f"{verb} poll {moved.id}: {safe(moved.title)}; {timeparse.remaining_phrase(moved.closes_at, at)}")
