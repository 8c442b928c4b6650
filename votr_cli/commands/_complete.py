"""Shell completion: POLL to the open polls' numbers (with their titles), CHOICE to the poll's options.

Click calls these while the user presses Tab, with half-parsed options and no
root callback run: the home comes from the parsed --home or VOTR_HOME, and
any trouble with the store means no suggestions rather than an error.
"""

from __future__ import annotations

import sqlite3

import click
from click.shell_completion import CompletionItem

from ..errors import VotrError


def _store(ctx: click.Context) -> sqlite3.Connection | None:
    from .. import store
    from ..paths import resolve_home

    root = ctx.find_root()
    # `votr vote --home X <Tab>`: the command's own --home, noted by its callback, wins over the root's.
    home = root.meta.get("votr.home") or resolve_home(root.params.get("home"))
    try:
        return store.connect(home, create=False)
    except (VotrError, sqlite3.Error, OSError):
        return None


def complete_poll(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from .. import polls
    from ..text import safe
    from ..timefmt import utcnow

    conn = _store(ctx)
    if conn is None:
        return []
    try:
        found = polls.iter_polls(conn, utcnow(), "open")
        return [
            CompletionItem(str(p.id), help=safe(p.title).replace("\\n", " "))
            for p in found
            if str(p.id).startswith(incomplete.lstrip("#"))
        ]
    except Exception:  # noqa: BLE001 - a Tab key must never print a traceback, whatever the store holds
        return []
    finally:
        conn.close()


def complete_choice(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from .. import polls
    from ..text import identity, safe

    conn = _store(ctx)
    if conn is None:
        return []
    try:
        poll = polls.get_poll(conn, polls.parse_poll_id(str(ctx.params.get("poll") or "")))
    except Exception:  # noqa: BLE001 - a Tab key must never print a traceback, whatever the store holds
        return []
    finally:
        conn.close()
    typed = identity(incomplete)
    suffix = "=" if poll.method == "score" else ""
    return [
        CompletionItem(o.name + suffix, help=f"option {o.number}")
        for o in poll.options
        if identity(o.name).startswith(typed) and safe(o.name) == o.name
    ]


def complete_method(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from ..methods import METHODS

    return [CompletionItem(name) for name in METHODS if name.startswith(incomplete)]
