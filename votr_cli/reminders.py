"""Reminders: at a poll's deadline minus D, the daemon runs the operator's `--on-remind` command, once.

No click, no rich. A reminder is a row of `reminders`: armed (state NULL)
until the daemon claims it ('sending'), then 'sent' or 'failed'. Claiming is
one transaction that also checks the poll is still open, so a reminder never
comes after its poll closed and never twice. An extend moves every reminder
not yet sent with the deadline.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from .polls import Clock, Poll, PollNotFound, _event, get_poll
from .store import transaction
from .timefmt import from_iso, to_iso


class Reminder(NamedTuple):
    poll_id: int
    before_s: int
    due_at: datetime


def arm(conn: sqlite3.Connection, poll_id: int, closes_at: datetime, befores: Iterable[int]) -> None:
    """In the caller's transaction: one armed reminder per duration before the deadline."""
    conn.executemany(
        "INSERT INTO reminders (poll_id, before_s, due_at) VALUES (?, ?, ?)",
        [(poll_id, s, to_iso(closes_at - timedelta(seconds=s))) for s in befores],
    )


def rearm(conn: sqlite3.Connection, poll_id: int, closes_at: datetime) -> None:
    """In the caller's transaction: the deadline moved, and every reminder not yet sent moves with it.

    One already sent stays sent: a reminder never comes twice. One whose new
    time has passed goes out at once (its poll being open).
    """
    for (before_s,) in conn.execute(
        "SELECT before_s FROM reminders WHERE poll_id = ? AND state IS NULL", (poll_id,)
    ).fetchall():
        conn.execute(
            "UPDATE reminders SET due_at = ? WHERE poll_id = ? AND before_s = ?",
            (to_iso(closes_at - timedelta(seconds=before_s)), poll_id, before_s),
        )


def armed(
    conn: sqlite3.Connection, now: datetime, poll_ids: Sequence[int] | None = None, state: str | None = None
) -> list[Reminder]:
    """Reminders of polls still open at `now` (of these polls, or of all), the soonest first.

    Armed ones by default; `state='sending'` gives those claimed whose command never finished.
    """
    sql = f"""SELECT r.poll_id, r.before_s, r.due_at FROM reminders r JOIN polls p ON p.id = r.poll_id
              WHERE r.state {"IS NULL" if state is None else "= ?"} AND p.closed_at IS NULL AND p.closes_at > ?"""
    args: tuple = (() if state is None else (state,)) + (to_iso(now),)
    if poll_ids is not None:
        import json

        sql += " AND r.poll_id IN (SELECT value FROM json_each(?))"
        args += (json.dumps(list(poll_ids)),)
    rows = conn.execute(sql + " ORDER BY r.due_at", args).fetchall()
    return [Reminder(r[0], r[1], from_iso(r[2])) for r in rows]


class Claim(NamedTuple):
    state: str  # "claimed", "not due", "stale" (moved, sent, closed or deleted)
    poll: Poll | None = None
    not_voted: list[str] | None = None


def claim(conn: sqlite3.Connection, reminder: Reminder, clock: Clock, account: str) -> Claim:
    """Take the reminder for sending, if it is still armed for this time and its poll is still open."""
    with transaction(conn):
        now = clock()
        row = conn.execute(
            "SELECT due_at, state FROM reminders WHERE poll_id = ? AND before_s = ?",
            (reminder.poll_id, reminder.before_s),
        ).fetchone()
        if row is None or row["state"] is not None or from_iso(row["due_at"]) != reminder.due_at:
            return Claim("stale")
        try:
            poll = get_poll(conn, reminder.poll_id)
        except PollNotFound:
            return Claim("stale")
        if not poll.is_open(now):
            return Claim("stale", poll)
        if now < reminder.due_at:
            return Claim("not due", poll)
        conn.execute(
            "UPDATE reminders SET state = 'sending', sent_at = ? WHERE poll_id = ? AND before_s = ?",
            (to_iso(now), reminder.poll_id, reminder.before_s),
        )
        missing = not_voted(conn, poll)
        _event(
            conn,
            poll.id,
            "reminded",
            "daemon",
            now,
            account,
            before_s=reminder.before_s,
            not_voted=len(missing) if missing is not None else None,
        )
        return Claim("claimed", poll, missing)


def finish(conn: sqlite3.Connection, reminder: Reminder, state: str) -> None:
    """'sent' or 'failed', for the reminder claimed for this time (an extend may have re-armed it since)."""
    with transaction(conn):
        conn.execute(
            "UPDATE reminders SET state = ? WHERE poll_id = ? AND before_s = ? AND due_at = ? AND state = 'sending'",
            (state, reminder.poll_id, reminder.before_s, to_iso(reminder.due_at)),
        )


def is_claimed(conn: sqlite3.Connection, reminder: Reminder) -> bool:
    """Whether this reminder, for this time, is claimed and not yet sent."""
    row = conn.execute(
        "SELECT 1 FROM reminders WHERE poll_id = ? AND before_s = ? AND due_at = ? AND state = 'sending'",
        (reminder.poll_id, reminder.before_s, to_iso(reminder.due_at)),
    ).fetchone()
    return row is not None


def not_voted(conn: sqlite3.Connection, poll: Poll) -> list[str] | None:
    """Who on the roll has cast no ballot, in roll order; None for a poll without a roll."""
    if poll.voting.roll_size is None:
        return None
    table = "turnout" if poll.voting.anonymous else "ballots"
    rows = conn.execute(
        f"""SELECT voter FROM roll WHERE poll_id = ? AND voter_key NOT IN
            (SELECT voter_key FROM {table} WHERE poll_id = ?) ORDER BY id""",
        (poll.id, poll.id),
    ).fetchall()
    return [r[0] for r in rows]
