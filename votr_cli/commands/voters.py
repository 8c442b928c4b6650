from __future__ import annotations

import click

from ._common import json_option, now, open_store, poll_argument, print_json


@click.command()
@poll_argument
@json_option
def voters(poll: str, json_: bool) -> None:
    """List who has voted in POLL (and when), and who on its roll has not.

    Never what anyone chose: that is for `show` (and, on an anonymous poll,
    for nobody).

    \b
    Example:
      votr voters 3
      votr voters 3 --json | jq -r '.not_voted[]'
    """
    from .. import ballots, polls, reminders
    from ..text import safe
    from ..timefmt import local_near, to_iso

    poll_id = polls.parse_poll_id(poll)
    conn = open_store()
    found = polls.get_poll(conn, poll_id)
    voted = ballots.participants(conn, found)
    missing = reminders.not_voted(conn, found)
    at = now()
    if json_:
        print_json(
            {
                "poll": found.id,
                "title": found.title,
                "status": "open" if found.is_open(at) else "closed",
                "voted": [{"voter": p.voter, "at": to_iso(p.voted_at)} for p in voted],
                "not_voted": missing,
                "roll": found.voting.roll_json(found.total_votes),
            }
        )
        return
    from ..outcome import plural

    head = f"Poll {found.id}: {safe(found.title)}"
    if found.voting.roll_size is not None:
        click.echo(f"{head}; {found.total_votes} of {found.voting.roll_size} on the roll voted")
    else:
        click.echo(f"{head}; {plural(len(voted), 'voter')}, no roll")
    if voted:
        click.echo("voted:")
        width = max(len(safe(p.voter)) for p in voted)
        for p in voted:
            click.echo(f"  {safe(p.voter).ljust(width)}  {local_near(p.voted_at, at)}")
    else:
        click.echo("voted: nobody yet")
    if missing is not None:
        if missing:
            click.echo("not voted:")
            for name in missing:
                click.echo(f"  {safe(name)}")
        else:
            click.echo("not voted: nobody; everyone on the roll has voted")
