"""How a poll's voting ends and moves: close, extend, delete, and the daemon's finalise step.

No click, no rich; like `polls`, every function takes its connection and a
clock from the caller and reads the clock under the write lock.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import NamedTuple

from .accounts import current as daemon_account
from .errors import VotrError
from .polls import (
    Clock,
    Poll,
    PollClosed,
    PollNotFound,
    _event,
    check_creator,
    closed_message,
    get_poll,
    voting_ended,
)
from .store import transaction
from .timefmt import from_iso, local_str, to_iso


def close_poll(conn: sqlite3.Connection, poll_id: int, actor: str, clock: Clock) -> Poll:
    """Stop voting now; finalising (the `closed` event, the hook) is the daemon's job."""
    with transaction(conn):
        now = clock()  # under the write lock, so no ballot lands after closed_at
        poll = get_poll(conn, poll_id)
        check_creator(poll, actor, "close it")
        if not poll.is_open(now):
            raise PollClosed(f"poll {poll_id} is already closed: {closed_message(poll, now)}")
        close_now(conn, poll_id, actor, now)
        return get_poll(conn, poll_id)


def close_now(conn: sqlite3.Connection, poll_id: int, actor: str, now: datetime, reason: str | None = None) -> None:
    """In the caller's transaction, on an open poll: voting ends now (the early-close path)."""
    conn.execute("UPDATE polls SET closed_at = ?, closed_by = ? WHERE id = ?", (to_iso(now), actor, poll_id))
    # The daemon reads this event to finalise at once even if the CLI could not queue the close.
    why = {"reason": reason} if reason else {}
    _event(conn, poll_id, "closed early", actor, now, actor, closed_at=to_iso(now), **why)


def extend_poll(
    conn: sqlite3.Connection,
    poll_id: int,
    actor: str,
    clock: Clock,
    by: timedelta | None = None,
    to: datetime | None = None,
) -> tuple[Poll, bool]:
    """Move the deadline later (reopening a closed poll); returns the poll and whether it reopened.

    `by` counts from the deadline of an open poll, and from now for a closed
    one (whether it closed early or at its deadline).
    """
    from .timeparse import MAX_AHEAD, check_deadline

    if (by is None) == (to is None):
        raise ValueError("give exactly one of by and to")
    if by is not None and not timedelta(0) < by <= MAX_AHEAD:
        raise VotrError("--by takes a duration from 1s to a year, e.g. 30m")
    with transaction(conn):
        now = clock()
        poll = get_poll(conn, poll_id)
        check_creator(poll, actor, "extend it")
        reopened = not poll.is_open(now)
        current = poll.ended_at(now) or poll.closes_at
        if to is not None:
            new_deadline = to
            if new_deadline <= current:
                raise VotrError(
                    f"the new deadline {local_str(new_deadline)} is not after the current one "
                    f"({local_str(current)}): extend only moves a deadline later; `votr close {poll_id}` ends it now"
                )
        else:
            new_deadline = (now if reopened else poll.closes_at) + by  # type: ignore[operator]
        check_deadline(new_deadline, now)
        if poll.voting.remind_before:
            from .reminders import rearm

            rearm(conn, poll_id, new_deadline)
        conn.execute(
            """UPDATE polls SET closes_at = ?, closed_at = NULL, closed_by = NULL,
               finalized_at = NULL, result = NULL, hook_state = NULL WHERE id = ?""",
            (to_iso(new_deadline), poll_id),
        )
        _event(
            conn,
            poll_id,
            "reopened" if reopened else "extended",
            actor,
            now,
            actor,
            closes_at=to_iso(new_deadline),
            previous=to_iso(poll.closes_at),
        )
        return get_poll(conn, poll_id), reopened


class Finalised(NamedTuple):
    """What one finalise step did; `poll` is the poll as found (None once deleted)."""

    state: str  # "finalized", "not due", "already finalized", "stale" (extended, reopened or deleted)
    poll: Poll | None = None


def finalize(
    conn: sqlite3.Connection, poll_id: int, ended_at: datetime, clock: Clock, with_hook: bool = False
) -> Finalised:
    """Freeze the result of the closing that ended voting at `ended_at`, once.

    `ended_at` names the closing a task was made for: the deadline, or the
    moment of an early close. A poll extended, reopened or deleted since then
    has no such closing any more, so its old task does nothing.
    """
    with transaction(conn):
        now = clock()
        try:
            poll = get_poll(conn, poll_id)
        except PollNotFound:
            return Finalised("stale")
        ended = poll.ended_at(now)
        if ended is None:
            return Finalised("not due" if poll.closes_at == ended_at else "stale", poll)
        if ended != ended_at:
            return Finalised("stale", poll)
        if poll.finalized_at is not None:
            return Finalised("already finalized", poll)
        import json

        if poll.voting.anonymous:
            seal(conn, poll_id)
        winners = [o.name for o in poll.leaders_at(now)]
        conn.execute(
            "UPDATE polls SET closed_at = ?, finalized_at = ?, result = ?, hook_state = ? WHERE id = ?",
            (
                to_iso(ended),
                to_iso(now),
                json.dumps(poll.result_json(now), ensure_ascii=False),
                "pending" if with_hook else None,
                poll_id,
            ),
        )
        _event(
            conn,
            poll_id,
            "closed",
            poll.closed_by or "deadline",
            now,
            daemon_account(),
            closed_at=to_iso(ended),
            winners=winners,
            total_votes=poll.total_votes,
        )
        return Finalised("finalized", get_poll(conn, poll_id))


def seal(conn: sqlite3.Connection, poll_id: int) -> None:
    """In the finalising transaction: erase what ties an anonymous poll's ballots to their voters.

    Not only the keyed hashes and the key: where a row sits in a page tells
    when it was written, and `votr voters` tells who voted when. So every
    ballot is deleted and written again, in a random order with new random
    ids and random placeholders for the hashes. The connection's
    `secure_delete` zeroes the old bytes; the caller empties the WAL.
    """
    import os
    import random

    choices = [c for (c,) in conn.execute("SELECT choice FROM ballots WHERE poll_id = ?", (poll_id,))]
    random.SystemRandom().shuffle(choices)
    conn.execute("DELETE FROM ballots WHERE poll_id = ?", (poll_id,))
    conn.executemany(
        """INSERT INTO ballots (id, poll_id, voter, voter_key, account, choice, cast_at)
           VALUES (?, ?, '', ?, NULL, ?, '')""",
        [(int.from_bytes(os.urandom(8)) >> 1, poll_id, f"sealed-{os.urandom(16).hex()}", c) for c in choices],
    )
    conn.execute("DELETE FROM poll_keys WHERE poll_id = ?", (poll_id,))


def set_hook_state(conn: sqlite3.Connection, poll_id: int, ended_at: datetime, state: str) -> None:
    """Record how the hook of one closing went; a reopened poll's old closing is left alone."""
    with transaction(conn):
        conn.execute(
            "UPDATE polls SET hook_state = ? WHERE id = ? AND closed_at = ? AND hook_state IS NOT NULL",
            (state, poll_id, to_iso(ended_at)),
        )


def hooks_pending(conn: sqlite3.Connection) -> list[tuple[int, datetime, str]]:
    """(poll, closing, state) of closings whose hook has neither succeeded nor given up.

    'pending' after a crash; 'interrupted' when a stopping daemon cut it short.
    """
    rows = conn.execute(
        "SELECT id, closed_at, hook_state FROM polls WHERE hook_state IN ('pending', 'interrupted') ORDER BY closed_at"
    ).fetchall()
    return [(r["id"], from_iso(r["closed_at"]), r["hook_state"]) for r in rows]


class Awaiting(NamedTuple):
    """A poll not finalised yet, as the daemon tracks it: no options, no counts, one light row."""

    id: int
    closes_at: datetime
    closed_at: datetime | None

    def ended_at(self, now: datetime) -> datetime | None:
        return voting_ended(self.closed_at, self.closes_at, now)

    @property
    def due(self) -> datetime:
        """When this poll's close is due: its early close, or its deadline."""
        return self.closed_at or self.closes_at


def awaiting_deadlines(conn: sqlite3.Connection, ids: list[int] | None = None) -> list[Awaiting]:
    """Polls not finalised yet (all, or those of `ids`), the next to end first.

    `ids` go in through json_each, one parameter however many there are.
    """
    sql = "SELECT id, closes_at, closed_at FROM polls WHERE finalized_at IS NULL"
    args: tuple = ()
    if ids is not None:
        import json

        sql += " AND id IN (SELECT value FROM json_each(?))"
        args = (json.dumps(ids),)
    rows = conn.execute(f"{sql} ORDER BY coalesce(closed_at, closes_at), id", args).fetchall()
    return [Awaiting(r[0], from_iso(r[1]), from_iso(r[2]) if r[2] else None) for r in rows]


def delete_poll(conn: sqlite3.Connection, poll_id: int, actor: str, clock: Clock) -> Poll:
    with transaction(conn):
        now = clock()
        poll = get_poll(conn, poll_id)
        check_creator(poll, actor, "delete it")
        conn.execute("DELETE FROM polls WHERE id = ?", (poll_id,))
        _event(conn, poll_id, "deleted", actor, now, actor, title=poll.title, total_votes=poll.total_votes)
    return poll
