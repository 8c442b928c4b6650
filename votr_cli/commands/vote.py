from __future__ import annotations

import click

from ._common import json_option, login_name, open_store, print_json


@click.command()
@click.argument("poll", metavar="POLL")
@click.argument("choice")
@click.option(
    "--voter",
    metavar="NAME",
    help="Vote under this name; only the poll's creator may name someone else [default: your account].",
)
@json_option
def vote(poll: str, choice: str, voter: str | None, json_: bool) -> None:
    """Vote in POLL for CHOICE (an option's name or its number).

    Voting again while the poll is open replaces your ballot.

    \b
    Example:
      votr vote 3 pizza
      votr vote 3 2 --voter alice
    """
    from .. import ballots, polls
    from ..text import safe
    from ..timefmt import remaining_phrase, utcnow

    poll_id = polls.parse_poll_id(poll)
    account = login_name()
    outcome = ballots.vote(open_store(), poll_id, choice, voter, utcnow, account)
    if json_:
        print_json(
            {
                "voter": outcome.voter,
                "account": account,
                "choice": outcome.option.name,
                "previous": outcome.previous,
                "poll": outcome.poll.to_json(utcnow()),
            }
        )
        return
    name, who, title = safe(outcome.option.name), safe(outcome.voter), safe(outcome.poll.title)
    if outcome.previous is None:
        said = f"{who} voted {name} in poll {poll_id}: {title}"
    elif outcome.unchanged:
        said = f"{who} already voted {name} in poll {poll_id}: {title}; nothing changed"
    else:
        said = f"{who} changed vote from {safe(outcome.previous)} to {name} in poll {poll_id}: {title}"
    click.echo(f"{said}; {remaining_phrase(outcome.poll.closes_at, utcnow())}")
