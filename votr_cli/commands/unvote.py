from __future__ import annotations

import click

from ._common import json_option, login_name, now, open_store, poll_argument, print_json


@click.command()
@poll_argument
@click.option(
    "--voter",
    metavar="NAME",
    help="Withdraw this voter's ballot; only the poll's creator may name someone else [default: your account].",
)
@json_option
def unvote(poll: str, voter: str | None, json_: bool) -> None:
    """Withdraw your ballot from POLL while it is open; the log records it.

    Refused on a poll made with --no-revote.

    \b
    Example:
      votr unvote 3
      votr unvote 3 --voter alice        # the poll's creator, for alice
    """
    from .. import ballots, polls
    from ..text import safe
    from ..timefmt import remaining_phrase

    poll_id = polls.parse_poll_id(poll)
    done = ballots.unvote(open_store(), poll_id, voter, now, login_name())
    at = now()
    withdrawn = ballots.describe(done.poll, done.ballot) if done.ballot else None
    if json_:
        print_json({"voter": done.voter, "withdrawn": withdrawn, "poll": done.poll.to_json(at)})
        return
    what = f" ({', '.join(safe(c) for c in withdrawn) or 'every option 0'})" if withdrawn is not None else ""
    click.echo(
        f"{safe(done.voter)} withdrew their ballot{what} from poll {poll_id}: {safe(done.poll.title)}; "
        f"{remaining_phrase(done.poll.closes_at, at)}"
    )
