"""Pieces every command shares: options, the store, the clock, JSON out."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TextIO, TypeVar

import click

from .. import store
from ..timefmt import utcnow

if TYPE_CHECKING:
    from ..polls import Poll
    from ..reminders import Reminder

F = TypeVar("F", bound=Callable[..., object])

now = utcnow  # the one clock commands read; the core takes it as an argument


class Seconds(click.FloatRange):
    """A number of seconds in a range; `nan` and `inf` are refused (FloatRange lets nan through)."""

    name = "seconds"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        import math

        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a number of seconds from {self.min:g} to {self.max:g}", param, ctx)
        return rv


def json_option(f: F) -> F:
    return click.option("--json", "json_", is_flag=True, help="Print one JSON document instead of text.")(f)  # type: ignore[return-value]


def poll_argument(f: F) -> F:
    return click.argument("poll", metavar="POLL", shell_complete=completer("complete_poll"))(f)  # type: ignore[return-value]


def completer(name: str) -> Callable[[click.Context, click.Parameter, str], list]:
    """A shell-completion callback that imports `_complete` (and click's completion module) only when used."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
        from . import _complete

        return getattr(_complete, name)(ctx, param, incomplete)

    return complete


def home_dir() -> str:
    return click.get_current_context().find_root().obj.home


def open_store(create: bool = False) -> sqlite3.Connection:
    """The home's poll store; only commands that add polls (`create`) make a missing one."""
    return store.connect(home_dir(), create=create)


def request_close(poll_id: int, ended_at: datetime, due: bool = False, to_remind: Sequence[Reminder] = ()) -> None:
    """Queue the daemon's close (and reminders); the poll store stays the truth if the queue cannot be written."""
    from ..daemon.queue import request_close as queue_close

    problem = queue_close(home_dir(), poll_id, ended_at, due, to_remind)
    if problem:
        click.echo(f"warning: {problem}", err=True)


def armed_reminders(conn: sqlite3.Connection, poll: Poll) -> list[Reminder]:
    """The poll's reminders still to send, for the queue."""
    if not poll.voting.remind_before:
        return []
    from ..reminders import armed

    return armed(conn, now(), [poll.id])


def hint_if_no_daemon(conn: sqlite3.Connection, polls: Sequence[Poll], at: datetime) -> None:
    """On stderr only: open polls here, and nobody to finalise them."""
    if not any(p.is_open(at) for p in polls):
        return
    from ..daemon.heartbeat import NO_DAEMON_HINT, live_daemon

    if live_daemon(conn, at) is None:
        click.echo(NO_DAEMON_HINT, err=True)


def login_name() -> str:
    """The OS account running this command, from its uid (never from $USER or $LOGNAME)."""
    from ..accounts import current

    return current()


def print_json_stream(
    key: str, items: Iterable[dict], tail: Callable[[], dict] | None = None, out: TextIO | None = None
) -> None:
    """`{key: [items...], **tail()}` as `print_json` would print it, written one item at a time.

    Memory stays flat however many items there are; `tail` runs after the
    last item (say, to report how many were left out).
    """
    import json
    import sys

    from ..text import json_text

    out = out or sys.stdout
    out.write("{\n" + f"  {json.dumps(key)}: [")
    first = True
    for item in items:
        body = json_text(json.dumps(item, indent=2, ensure_ascii=False)).replace("\n", "\n    ")
        out.write(("\n    " if first else ",\n    ") + body)
        first = False
    out.write("]" if first else "\n  ]")
    for name, value in (tail() if tail else {}).items():
        body = json_text(json.dumps(value, indent=2, ensure_ascii=False)).replace("\n", "\n  ")
        out.write(f",\n  {json.dumps(name)}: {body}")
    out.write("\n}\n")
    out.flush()


def print_json(data: object) -> None:
    import json

    from ..text import json_text

    # Intact data, but no control or invisible character reaches the terminal raw.
    click.echo(json_text(json.dumps(data, indent=2, ensure_ascii=False)))
