from __future__ import annotations

import click

from ._common import json_option, now, open_store, poll_argument, print_json

TIMEOUT_EXIT = 3


@click.command()
@poll_argument
@click.option("--timeout", metavar="DURATION", help="Give up after this long (exit status 3): 30s, 10m, 2h.")
@json_option
def wait(poll: str, timeout: str | None, json_: bool) -> None:
    """Wait until POLL is finalised, then print its result; for scripts and CI.

    Exits 0 with the result once the daemon has finalised the poll, or 3
    with one line on stderr when --timeout runs out first.

    \b
    Example:
      votr wait 3 && votr show 3 --json | jq -r '.leaders[0]'
      votr wait 3 --timeout 10m --json > result.json
    """
    import sys
    import time

    from .. import polls, timeparse
    from ..follow import CHECK_EVERY_S, Follower
    from ..timefmt import describe_span, remaining_phrase

    poll_id = polls.parse_poll_id(poll)
    limit = timeparse.parse_span(timeout) if timeout is not None else None
    give_up = time.monotonic() + limit.total_seconds() if limit is not None else None
    conn = open_store()
    follower = Follower(conn, poll_id)
    warned = False
    while follower.poll.finalized_at is None:
        at = now()
        if not warned and give_up is None and follower.poll.ended_at(at) is not None:
            warned = True
            if _no_daemon(conn, at):
                click.echo(f"hint: poll {poll_id} has closed, but no daemon is running to finalise it", err=True)
        if give_up is not None and time.monotonic() >= give_up:
            assert limit is not None
            phrase = remaining_phrase(follower.poll.closes_at, at, follower.poll.ended_at(at))
            said = f"timeout: poll {poll_id} was not finalised within {describe_span(limit)}; it {phrase}"
            if follower.poll.ended_at(at) is not None and _no_daemon(conn, at):
                said += ", and no daemon is running to finalise it"
            click.echo(said, err=True)  # one line, for the script that waited
            sys.exit(TIMEOUT_EXIT)
        time.sleep(CHECK_EVERY_S if give_up is None else max(0.0, min(CHECK_EVERY_S, give_up - time.monotonic())))
        follower.refresh()
    at = now()
    if json_:
        print_json(follower.poll.to_json(at))
        return
    from ..render import print_poll

    print_poll(follower.poll, at)


def _no_daemon(conn, at) -> bool:  # noqa: ANN001 - the store, a datetime
    from ..daemon.heartbeat import live_daemon

    return live_daemon(conn, at) is None
