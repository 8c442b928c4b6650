"""The event log as people read it: oldest first, with what a poll's rules let them see.

No click, no rich. The log keeps everything it was told; what it shows of a
poll that hides its results stops at "ana voted" until the poll closes (an
anonymous poll's events never held a choice to begin with).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import NamedTuple

from .timefmt import from_iso, local_near, to_iso

# The parts of an event's detail that say what someone chose.
_CHOICES = ("option", "previous")
_BALLOT_KINDS = ("voted", "changed vote", "withdrew")


class Event(NamedTuple):
    id: int
    poll_id: int
    kind: str
    actor: str  # the voter, for ballots; who acted, for the rest
    account: str | None  # the OS account behind it (None: written before accounts were recorded)
    at: datetime
    detail: dict

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "poll": self.poll_id,
            "at": to_iso(self.at),
            "event": self.kind,
            "account": self.account,
            "voter": self.actor if self.kind in _BALLOT_KINDS else None,
            "actor": self.actor,
            "detail": self.detail,
        }


def _hidden_now(conn: sqlite3.Connection, now: datetime, poll_id: int | None) -> set[int]:
    """Polls whose choices the log must not show now: hidden and still open, or hidden and deleted while hidden."""
    stamp = to_iso(now)
    where, args = ("AND id = ?", (poll_id,)) if poll_id is not None else ("", ())
    hidden = {
        r[0]
        for r in conn.execute(
            f"SELECT id FROM polls WHERE hide_results AND closed_at IS NULL AND closes_at > ? {where}", (stamp, *args)
        )
    }
    # A deleted poll's rules live on in its `created` event; a poll deleted while hidden stays hidden.
    where = "AND poll_id = ?" if poll_id is not None else ""
    for (pid,) in conn.execute(
        f"""SELECT poll_id FROM events WHERE kind = 'created' AND json_extract(detail, '$.hide_results') {where}
            AND poll_id NOT IN (SELECT id FROM polls)""",
        args,
    ):
        hidden.add(pid)
    return hidden


def events(conn: sqlite3.Connection, now: datetime, poll_id: int | None = None) -> Iterator[Event]:
    """Every event (of one poll, or of all), oldest first; choices left out where the poll hides them now."""
    hidden = _hidden_now(conn, now, poll_id)
    sql = "SELECT id, poll_id, kind, actor, account, at, detail FROM events"
    args: tuple = ()
    if poll_id is not None:
        sql += " WHERE poll_id = ?"
        args = (poll_id,)
    for row in conn.execute(sql + " ORDER BY id", args):
        detail = json.loads(row[6]) if row[6] else {}
        if row[1] in hidden and row[2] in _BALLOT_KINDS:
            detail = {k: v for k, v in detail.items() if k not in _CHOICES}
        yield Event(row[0], row[1], row[2], row[3], row[4], from_iso(row[5]), detail)


def describe(event: Event, now: datetime) -> str:
    """What happened, in words: 'ana voted Pizza', 'closed early by root (everyone on the roll has voted)'."""
    d, who = event.detail, event.actor
    kind = event.kind
    if kind == "created":
        title = f" {d['title']!r}" if "title" in d else ""
        closes = f", closing {local_near(from_iso(d['closes_at']), now)}" if "closes_at" in d else ""
        return f"created{title}{closes}"
    if kind == "voted":
        return (
            f"{who} voted" + (f" {d['option']}" if "option" in d else "") + (" (imported)" if d.get("imported") else "")
        )
    if kind == "changed vote":
        if "option" in d:
            return f"{who} changed vote from {d.get('previous', '?')} to {d['option']}"
        return f"{who} changed vote"
    if kind == "withdrew":
        return f"{who} withdrew their ballot" + (f" ({d['option']})" if "option" in d else "")
    if kind == "closed early":
        return f"closed early by {who}" + (f" ({d['reason']})" if d.get("reason") else "")
    if kind == "closed":
        winners = d.get("winners") or []
        said = f"won by {' and '.join(winners)}" if winners else "no winner"
        votes = d.get("total_votes")
        if votes is None:
            return f"closed ({said})"
        return f"closed ({said}; {votes} ballot{'' if votes == 1 else 's'})"
    if kind in ("extended", "reopened"):
        to = f" to {local_near(from_iso(d['closes_at']), now)}" if "closes_at" in d else ""
        return f"{kind}{to} by {who}"
    if kind == "deleted":
        return f"deleted by {who}" + (f" ({d['title']!r})" if "title" in d else "")
    if kind == "reminded":
        from .timefmt import describe_span

        before = describe_span(timedelta(seconds=d.get("before_s", 0)))
        missing = d.get("not_voted")
        to_go = f"; {missing} on the roll had not voted" if missing is not None else ""
        return f"reminder sent, {before} before the deadline{to_go}"
    if kind == "merged":
        return f"{who}'s earlier ballot merged into a later one ({d.get('reason', '')})"
    return kind
