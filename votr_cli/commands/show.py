from __future__ import annotations

import click

from ._common import hint_if_no_daemon, json_option, now, open_store, poll_argument, print_json


@click.command()
@poll_argument
@json_option
def show(poll: str, json_: bool) -> None:
    """Show POLL's tally: votes, shares and bars, the leader, the time left.

    \b
    Example:
      votr show 3
      votr show 3 --json | jq .leaders
    """
    from .. import polls

    poll_id = polls.parse_poll_id(poll)  # before opening: a typo must not create a store
    conn = open_store()
    found = polls.get_poll(conn, poll_id)
    at = now()
    if json_:
        print_json(found.to_json(at))
        return
    from ..render import print_poll

    print_poll(found, at)
    hint_if_no_daemon(conn, [found], at)
