from __future__ import annotations

import click

from ._common import json_option, now, open_store, print_json


@click.command()
@json_option
def status(json_: bool) -> None:
    """Say whether a daemon is running here, and which closes are pending.

    \b
    Example:
      votr status
      votr status --json
    """
    from .. import lifecycle, polls
    from ..daemon.heartbeat import live_daemon
    from ..store import NoStore
    from ..text import safe
    from ..timefmt import describe_span, remaining_phrase, to_iso
    from ._common import home_dir

    at = now()
    try:
        conn = open_store()
    except NoStore:
        info, waiting = None, []
    else:
        info = live_daemon(conn, at)
        # One light row per pending close: status stays quick with thousands of open polls.
        waiting = lifecycle.awaiting_deadlines(conn)
    first = polls.get_poll(conn, waiting[0].id) if waiting else None
    if json_:
        daemon = (
            info.to_json()
            if info
            else {"running": False, "pid": None, "host": None, "started_at": None, "last_beat": None, "version": None}
        )
        next_close = None
        if first is not None:
            ended = first.ended_at(at) or first.closes_at
            next_close = {"id": first.id, "closes_at": to_iso(ended)}
        print_json({"home": home_dir(), "daemon": daemon, "pending_closes": len(waiting), "next_close": next_close})
        return
    click.echo(f"home: {safe(home_dir())}")
    if info:
        click.echo(
            f"daemon: running (pid {info.pid} on {safe(info.host)}, version {safe(info.version)}, "
            f"for {describe_span(at - info.started_at)})"
        )
    else:
        click.echo("daemon: not running (start it with `votr daemon`)")
    if first is None:
        click.echo("pending closes: none")
        return
    click.echo(f"pending closes: {len(waiting)}")
    phrase = remaining_phrase(first.closes_at, at, first.ended_at(at))
    click.echo(f"next: poll {first.id}: {safe(first.title)}; {phrase}")
