from __future__ import annotations

import click

from ._common import completer, json_option, now, open_store, print_json_stream


@click.command()
@click.argument("poll", metavar="[POLL]", required=False, shell_complete=completer("complete_poll"))
@json_option
def log(poll: str | None, json_: bool) -> None:
    """Show the event log (of POLL, or of every poll), oldest first.

    Each line: when, the poll, the OS account behind the change, and what
    happened. A poll that hides its results shows who voted but not what
    until it closes; an anonymous poll's log never held anyone's choice.

    \b
    Example:
      votr log 3
      votr log --json | jq -r '.events[] | select(.event == "closed early") | .poll'
    """
    from .. import eventlog, polls
    from ..store import NoStore
    from ..text import safe
    from ..timefmt import local_str

    poll_id = polls.parse_poll_id(poll) if poll is not None else None
    try:
        conn = open_store()
    except NoStore:
        conn = None
    at = now()
    if poll_id is not None and conn is not None:
        found = conn.execute("SELECT 1 FROM events WHERE poll_id = ? LIMIT 1", (poll_id,)).fetchone()
        if found is None:
            polls.get_poll(conn, poll_id)  # the one error for a poll there never was
    elif poll_id is not None:
        raise polls.PollNotFound(f"no poll {poll_id}: `votr list --all` shows the polls there are")
    found_events = eventlog.events(conn, at, poll_id) if conn is not None else iter(())
    if json_:
        print_json_stream("events", (e.to_json() for e in found_events))
        return
    for event in found_events:
        said = safe(eventlog.describe(event, at))
        click.echo(f"{local_str(event.at)}  poll {event.poll_id}  {safe(event.account or '?')}  {said}")
