from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import click

from ._common import now


@click.command()
def demo() -> None:
    """Create a sample poll in a temporary home and show its tally.

    \b
    Example:
      votr demo
    """
    from .. import polls, store
    from ..render import print_poll

    with tempfile.TemporaryDirectory(prefix="votr-demo-") as tmp:
        conn = store.connect(Path(tmp))
        at = now()
        poll = polls.create_poll(conn, "Lunch?", ["Pizza", "Sushi", "Tacos"], at + timedelta(seconds=5), at, "demo")
        for voter, choice in [("ana", "Pizza"), ("bo", "Sushi"), ("cy", "Pizza")]:
            polls.vote(conn, poll.id, choice, voter, now)
        print_poll(polls.get_poll(conn, poll.id), now())
        conn.close()
