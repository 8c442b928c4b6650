from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import click

from ..errors import VotrError
from ._common import Seconds, now

VOTES = [
    ("ana", "Pizza"), ("bo", "Sushi"), ("cy", "Pizza"), ("dee", "Tacos"), ("eli", "Sushi"), ("fay", "Pizza"),
    ("gus", "Tacos"), ("hal", "Pizza"), ("ivy", "Sushi"), ("jo", "Pizza"), ("kai", "Sushi"), ("lu", "Tacos"),
]  # fmt: skip


def _wait_for(condition, timeout: float, what: str) -> None:  # noqa: ANN001 - a zero-argument predicate
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise VotrError(f"demo: {what} did not happen within {timeout:.0f} s")
        time.sleep(0.02)


@click.command()
@click.option("--seconds", default=5.0, show_default=True, type=Seconds(1, 60), help="How long the poll runs.")
@click.pass_context
def demo(ctx: click.Context, seconds: float) -> None:
    """Watch a poll close by itself: starts the daemon, votes, counts down.

    Runs in a temporary home (removed afterwards) unless --home is given;
    nothing needs to be running. Ends when the daemon has finalised the poll.

    \b
    Example:
      votr demo
      votr --home /tmp/votr-demo demo --seconds 10
    """
    from .. import ballots, newpoll, polls, store
    from ..accounts import current as current_account
    from ..daemon.heartbeat import live_daemon
    from ..daemon.queue import request_close
    from ..render import make_console, poll_view, print_poll, status_line

    root = ctx.find_root()
    with ExitStack() as stack:
        if root.obj.home_given:
            home = Path(root.obj.home)
        else:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="votr-demo-")))
        conn = store.connect(home)
        stack.callback(conn.close)
        console = make_console()
        if live_daemon(conn, now()) is None:
            log = stack.enter_context(open(home / "demo-daemon.log", "w"))
            daemon = subprocess.Popen(
                [sys.executable, "-m", "votr_cli", "--home", str(home), "daemon"], stderr=log, stdin=subprocess.DEVNULL
            )
            stack.callback(_stop, daemon)
            _wait_for(lambda: daemon.poll() is None and live_daemon(conn, now()) is not None, 15, "the daemon start")
            console.print(f"Started the daemon (pid {daemon.pid}) in {home}", markup=False)
        at = now()
        # Created by this account, which may then enter the twelve ballots under their voters' names.
        me = current_account()
        poll = newpoll.create_poll(
            conn, "Lunch?", ["Pizza", "Sushi", "Tacos"], at + timedelta(seconds=seconds), now, me, created_at=at
        )
        problem = request_close(home, poll.id, poll.closes_at)
        if problem:
            raise VotrError(problem)
        span = f"{seconds:g} second{'' if seconds == 1 else 's'}"
        console.print(f"Created poll {poll.id}: Lunch?, closing in {span}; 12 people vote meanwhile.", markup=False)
        spacing = seconds * 0.6 / len(VOTES)

        def finalised() -> bool:
            return polls.get_poll(conn, poll.id).finalized_at is not None

        if console.is_terminal:
            from rich.live import Live

            with Live(console=console, refresh_per_second=12, transient=False) as live:
                for voter, choice in VOTES:
                    live.update(poll_view(polls.get_poll(conn, poll.id), now(), console.width))
                    ballots.vote(conn, poll.id, [choice], voter, now, me)
                    time.sleep(spacing)
                while not finalised() and now() < poll.closes_at + timedelta(seconds=15):
                    live.update(poll_view(polls.get_poll(conn, poll.id), now(), console.width))
                    time.sleep(0.05)
                live.update(poll_view(polls.get_poll(conn, poll.id), now(), console.width))
        else:
            for voter, choice in VOTES:
                ballots.vote(conn, poll.id, [choice], voter, now, me)
                click.echo(f"{voter} voted {choice}; {status_line(polls.get_poll(conn, poll.id), now())}")
                time.sleep(spacing)
            click.echo("Waiting for the deadline; the daemon closes the poll...")
        _wait_for(finalised, seconds + 15, "the close")
        final = polls.get_poll(conn, poll.id)
        assert final.finalized_at is not None
        if not console.is_terminal:
            print_poll(final, now())
        late_ms = (final.finalized_at - final.closes_at).total_seconds() * 1000
        winners = " and ".join(o.name for o in final.leaders_at(now())) or "nobody"
        console.print(
            f"Winner: {winners}. The daemon finalised the poll {late_ms:.0f} ms after its deadline.", markup=False
        )


def _stop(daemon: subprocess.Popen) -> None:
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=6)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
