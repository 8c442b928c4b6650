from __future__ import annotations

import click

from ._common import now, open_store, poll_argument


@click.command()
@poll_argument
def watch(poll: str) -> None:
    """Watch POLL live: the tally, bars and countdown, as votes come in.

    Ends by itself (exit 0) with the final result once the daemon has
    finalised the poll, or once it has closed with no daemon to finalise it.
    Ctrl-C leaves. Not on a terminal, or with NO_COLOR set, it prints one
    plain line per change instead.

    \b
    Example:
      votr watch 3
      votr watch 3 | while read -r line; do notify-send "$line"; done
    """
    import os

    from .. import polls
    from ..follow import Follower
    from ..render import make_console

    poll_id = polls.parse_poll_id(poll)
    conn = open_store()
    follower = Follower(conn, poll_id)
    console = make_console()
    try:
        if console.is_terminal and not os.environ.get("NO_COLOR"):
            _live(conn, follower, console)
        else:
            _plain(conn, follower)
    except KeyboardInterrupt:
        raise SystemExit(130) from None  # quietly: no "Aborted", no traceback


def _finished(conn, follower, at) -> str | None:  # noqa: ANN001 - the store, a Follower, a datetime
    """Why watching is over, or None: finalised, or closed with nobody to finalise it."""
    poll = follower.poll
    if poll.finalized_at is not None:
        return "finalised"
    if poll.ended_at(at) is None:
        return None
    from ..daemon.heartbeat import live_daemon

    return None if live_daemon(conn, at) is not None else "closed; no daemon is running to finalise it"


def _live(conn, follower, console) -> None:  # noqa: ANN001 - the store, a Follower, a Rich console
    import time

    from rich.live import Live

    from ..follow import CHECK_EVERY_S
    from ..render import poll_view

    with Live(poll_view(follower.poll, now(), console.width), console=console, auto_refresh=False) as live:
        drawn = time.monotonic()
        while True:
            changed = follower.refresh()
            at = now()
            # Redraw on a change, and once a second for the countdown; nothing else costs a thing.
            if changed or time.monotonic() - drawn >= 1:
                live.update(poll_view(follower.poll, at, console.width), refresh=True)
                drawn = time.monotonic()
            why = _finished(conn, follower, at)
            if why is not None:
                live.update(poll_view(follower.poll, at, console.width), refresh=True)
                break
            time.sleep(CHECK_EVERY_S)
    if why != "finalised":
        console.print(f"Poll {follower.poll.id} {why}.", markup=False, highlight=False)


def _plain(conn, follower) -> None:  # noqa: ANN001 - the store, a Follower
    import time

    from ..follow import CHECK_EVERY_S
    from ..render import status_line
    from ..text import safe
    from ..timefmt import local_near

    last = None
    while True:
        follower.refresh()
        at = now()
        poll = follower.poll
        why = _finished(conn, follower, at)
        # One line per change of the count or the state, not per tick of the countdown.
        state = (poll.total_votes, tuple(o.votes for o in poll.options), poll.closes_at, poll.is_open(at), why)
        if state != last:
            last = state
            line = f"{local_near(at, at)} poll {poll.id}: {safe(poll.title)}; {status_line(poll, at)}"
            if why is not None:
                line += f" ({why})"
            click.echo(line)
        if why is not None:
            return
        time.sleep(CHECK_EVERY_S)
