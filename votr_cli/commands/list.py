from __future__ import annotations

import click

from ..errors import UsageError
from ._common import hint_if_no_daemon, json_option, now, open_store, print_json


@click.command("list")
@click.option("--all", "all_", is_flag=True, help="Open and closed polls.")
@click.option("--closed", is_flag=True, help="Closed polls only.")
@json_option
def list_(all_: bool, closed: bool, json_: bool) -> None:
    """List open polls by deadline: number, title, votes, leader, time left.

    \b
    Example:
      votr list
      votr list --all --json
    """
    from .. import polls

    if all_ and closed:
        raise UsageError("--all and --closed exclude each other; give one")
    which = "all" if all_ else "closed" if closed else "open"
    at = now()
    from ..store import NoStore

    try:
        conn = open_store()
    except NoStore:
        conn = None  # nothing here yet: an empty list, and nothing created
    found = polls.list_polls(conn, at, which) if conn is not None else []
    if json_:
        print_json({"polls": [p.to_json(at) for p in found]})
        return
    from ..render import print_poll_list

    hint = {
        "open": "No open polls. `votr list --all` shows closed ones too.",
        "closed": "No closed polls.",
        "all": 'No polls yet. Create one: votr create "Lunch?" -o Pizza -o Sushi',
    }[which]
    print_poll_list(found, at, hint)
    if conn is not None:
        hint_if_no_daemon(conn, found, at)
