from __future__ import annotations

import click

from ..errors import UsageError
from ._common import armed_reminders, json_option, login_name, now, open_store, poll_argument, print_json, request_close


@click.command()
@poll_argument
@click.option(
    "--by", metavar="DURATION", help="Add this to the deadline (to now, if the poll has closed): 30m, 1h, 1d."
)
@click.option(
    "--to",
    "to",
    metavar="WHEN",
    help="Set a later deadline, as `create --closes-at` takes it: 18:00, 'friday 17:00', '2026-11-25 18:00'.",
)
@json_option
def extend(poll: str, by: str | None, to: str | None, json_: bool) -> None:
    """Move POLL's deadline later; a closed poll reopens.

    An earlier deadline is refused: `votr close POLL` ends a poll now.

    \b
    Example:
      votr extend 3 --by 30m
      votr extend 3 --to 18:00
    """
    from .. import lifecycle, polls, timeparse
    from ..text import safe
    from ..timefmt import remaining_phrase

    if (by is None) == (to is None):
        raise UsageError("give one of --by DURATION or --to WHEN")
    poll_id = polls.parse_poll_id(poll)
    delta = timeparse.parse_span(by) if by is not None else None
    when = timeparse.deadline_from_when(to, now()) if to is not None else None
    conn = open_store()
    moved, reopened = lifecycle.extend_poll(conn, poll_id, login_name(), now, by=delta, to=when)
    at = now()
    request_close(moved.id, moved.closes_at, to_remind=armed_reminders(conn, moved))
    if json_:
        print_json(moved.to_json(at))
        return
    verb = "Reopened" if reopened else "Extended"
    click.echo(f"{verb} poll {moved.id}: {safe(moved.title)}; {remaining_phrase(moved.closes_at, at)}")
