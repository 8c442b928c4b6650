from __future__ import annotations

import click

from ..errors import UsageError
from ._common import hint_if_no_daemon, json_option, now, open_store, print_json_stream

DEFAULT_LIMIT = 50


@click.command("list")
@click.option("--all", "all_", is_flag=True, help="Open and closed polls.")
@click.option("--closed", is_flag=True, help="Closed polls only, the most recently closed first.")
@click.option(
    "--limit",
    type=click.IntRange(0, 1_000_000_000),
    default=DEFAULT_LIMIT,
    show_default=True,
    metavar="N",
    help="Show the N soonest deadlines; 0 shows all.",
)
@json_option
def list_(all_: bool, closed: bool, limit: int, json_: bool) -> None:
    """List open polls by deadline: number, title, votes, leader, time left.

    Piped, each poll is one line (nothing wraps), for grep and awk.

    \b
    Example:
      votr list
      votr list --all --limit 0 --json | jq '.polls[].id'
      votr list | grep -i lunch | cut -d' ' -f1     # the numbers of the lunch polls
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
    found = polls.iter_polls(conn, at, which, limit) if conn is not None else iter(())

    def more() -> int:
        shown = conn is not None and limit and polls.count_polls(conn, at, which) - limit
        return max(0, shown or 0)

    if json_:
        print_json_stream("polls", (p.to_json(at) for p in found), lambda: {"more": more()})
        return
    from ..render import print_poll_list

    hint = {
        "open": "No open polls. `votr list --all` shows closed ones too.",
        "closed": "No closed polls.",
        "all": 'No polls yet. Create one: votr create "Lunch?" -o Pizza -o Sushi',
    }[which]
    shown = list(found)
    print_poll_list(shown, at, hint)
    left = more()
    if left:
        what = {"open": "open poll", "closed": "closed poll", "all": "poll"}[which] + ("s" if left != 1 else "")
        click.echo(f"and {left:,} more {what}: `votr list --limit 0` shows them all", err=True)
    if conn is not None:
        hint_if_no_daemon(conn, shown, at)
