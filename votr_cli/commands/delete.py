from __future__ import annotations

import sys

import click

from ..errors import VotrError
from ._common import login_name, now, open_store, poll_argument


@click.command()
@poll_argument
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete(poll: str, yes: bool) -> None:
    """Delete POLL with its options and ballots (the event log keeps a record).

    \b
    Example:
      votr delete 3 --yes
    """
    from .. import lifecycle, polls
    from ..outcome import plural
    from ..text import safe

    poll_id = polls.parse_poll_id(poll)
    conn = open_store()
    found = polls.get_poll(conn, poll_id)
    if not yes:
        if not sys.stdin.isatty():
            raise VotrError(f"not deleting poll {poll_id} without --yes (no terminal to ask on)")
        said = f"Delete poll {poll_id}: {safe(found.title)} with {plural(found.total_votes, 'vote')}?"
        click.confirm(said, abort=True, err=True)
    gone = lifecycle.delete_poll(conn, poll_id, login_name(), now)
    if gone.voting.anonymous:
        from ..store import truncate_wal

        truncate_wal(conn)  # the deleted ballots' hashes and key must not linger in the WAL
    click.echo(f"Deleted poll {gone.id}: {safe(gone.title)} ({plural(gone.total_votes, 'vote')})")
