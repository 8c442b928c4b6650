from __future__ import annotations

import click

from ._common import json_option, login_name, now, open_store, poll_argument, print_json, request_close


@click.command()
@poll_argument
@json_option
def close(poll: str, json_: bool) -> None:
    """Close POLL now, before its deadline; it takes no more votes.

    \b
    Example:
      votr close 3
    """
    from .. import lifecycle, polls
    from ..render import status_line
    from ..text import safe

    poll_id = polls.parse_poll_id(poll)
    closed = lifecycle.close_poll(open_store(), poll_id, login_name(), now)
    at = now()
    assert closed.closed_at is not None
    request_close(closed.id, closed.closed_at, due=True)
    if json_:
        print_json(closed.to_json(at))
        return
    click.echo(f"Closed poll {closed.id}: {safe(closed.title)}; {status_line(closed, at)}")
