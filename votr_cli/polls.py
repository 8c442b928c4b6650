"""The domain: polls, options, ballots and the rules between them.

No click, no rich. Every function takes the connection and the current time
(or a clock, where the time must be read under the write lock) from its caller.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from .errors import VotrError
from .store import transaction
from .text import require_utf8
from .timefmt import from_iso, local_str, remaining_phrase, to_iso

MAX_TITLE = 200
MAX_OPTIONS = 26
MAX_OPTION_NAME = 100
MAX_VOTER = 64
DEFAULT_OPEN_FOR = timedelta(hours=24)  # as in the original Votr

Clock = Callable[[], datetime]


class PollNotFound(VotrError):
    pass


class PollClosed(VotrError):
    pass


# NamedTuple rather than dataclass: `dataclasses` would add ~10 ms to every `votr vote`.
class Option(NamedTuple):
    number: int
    name: str
    votes: int


class Poll(NamedTuple):
    id: int
    title: str
    created_at: datetime
    created_by: str
    closes_at: datetime
    closed_at: datetime | None  # as stored: set by an early close or by finalising
    closed_by: str | None
    finalized_at: datetime | None
    options: tuple[Option, ...]

    def is_open(self, now: datetime) -> bool:
        """Invariant 1: open exactly while nothing closed it and the deadline is ahead."""
        return self.closed_at is None and now < self.closes_at

    def ended_at(self, now: datetime) -> datetime | None:
        """When voting ended, whether or not anything has finalised the poll yet."""
        if self.closed_at is not None:
            return self.closed_at
        return self.closes_at if now >= self.closes_at else None

    @property
    def total_votes(self) -> int:
        return sum(o.votes for o in self.options)

    @property
    def leaders(self) -> list[Option]:
        top = max((o.votes for o in self.options), default=0)
        return [o for o in self.options if top and o.votes == top]

    def to_json(self, now: datetime) -> dict:
        ended = self.ended_at(now)
        return {
            "id": self.id,
            "title": self.title,
            "status": "open" if self.is_open(now) else "closed",
            "created_at": to_iso(self.created_at),
            "created_by": self.created_by,
            "closes_at": to_iso(self.closes_at),
            "closed_at": to_iso(ended) if ended else None,
            "finalized_at": to_iso(self.finalized_at) if self.finalized_at else None,
            "total_votes": self.total_votes,
            "options": [{"number": o.number, "name": o.name, "votes": o.votes} for o in self.options],
            "leaders": [o.name for o in self.leaders],
        }


class VoteOutcome(NamedTuple):
    poll: Poll
    option: Option
    previous: str | None  # the option this voter's ballot named before, if any
    voter: str

    @property
    def unchanged(self) -> bool:
        return self.previous == self.option.name


def parse_poll_id(text: str) -> int:
    """A poll's number as the user typed it (`7` or `#7`)."""
    raw = text.strip().removeprefix("#")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) < 2**63:
        raise VotrError(f"{text!r} is not a poll number: use the number `votr list` shows, e.g. 3")
    return int(raw)


def _event(conn: sqlite3.Connection, poll_id: int, kind: str, actor: str, at: datetime, **detail: object) -> None:
    # SQLite's json_object() builds the detail, so a vote needs no `import json` (2 ms of start-up).
    marks, args = [], []
    for key, value in detail.items():
        if isinstance(value, list | dict):
            import json

            marks.append("?, json(?)")
            args += [key, json.dumps(value)]
        else:
            marks.append("?, ?")
            args += [key, value]
    doc = f"json_object({', '.join(marks)})" if detail else "NULL"
    conn.execute(
        f"INSERT INTO events (poll_id, kind, actor, at, detail) VALUES (?, ?, ?, ?, {doc})",
        (poll_id, kind, actor, to_iso(at), *args),
    )


def _clean_title(title: str) -> str:
    title = require_utf8(title, "the title").strip()
    if not title:
        raise VotrError("the title is empty: give the poll a question, e.g. 'Lunch?'")
    if len(title) > MAX_TITLE:
        raise VotrError(f"the title is {len(title)} characters long; at most {MAX_TITLE} are allowed")
    return title


def _clean_options(names: Sequence[str]) -> list[str]:
    cleaned = [require_utf8(n, "option").strip() for n in names]
    if len(cleaned) < 2:
        raise VotrError(f"a poll needs at least 2 options (got {len(cleaned)}): add -o OPTION for each")
    if len(cleaned) > MAX_OPTIONS:
        raise VotrError(f"a poll takes at most {MAX_OPTIONS} options (got {len(cleaned)})")
    seen: dict[str, str] = {}
    for i, name in enumerate(cleaned, 1):
        if not name:
            raise VotrError(f"option {i} is empty")
        if len(name) > MAX_OPTION_NAME:
            raise VotrError(f"option {i} is {len(name)} characters long; at most {MAX_OPTION_NAME} are allowed")
        key = name.casefold()
        if key in seen:
            raise VotrError(f"option {name!r} is given twice (as {seen[key]!r} too); options must differ")
        seen[key] = name
    return cleaned


def clean_voter(voter: str) -> str:
    voter = require_utf8(voter, "the voter name").strip()
    if not voter:
        raise VotrError("the voter name is empty")
    if len(voter) > MAX_VOTER:
        raise VotrError(f"the voter name is {len(voter)} characters long; at most {MAX_VOTER} are allowed")
    return voter


def create_poll(
    conn: sqlite3.Connection,
    title: str,
    options: Sequence[str],
    closes_at: datetime,
    clock: Clock,
    creator: str,
    created_at: datetime | None = None,
) -> Poll:
    """Store a new poll; `created_at` (default: the clock) is when the command began, which a duration counts from."""
    from .timeparse import check_deadline

    title = _clean_title(title)
    names = _clean_options(options)
    with transaction(conn):
        # The deadline is checked by the clock read where it is stored: a
        # create that waited for the lock must not store a deadline already past.
        now = clock()
        check_deadline(closes_at, now)
        created_at = created_at or now
        # A deleted poll's number is never given out again: the event log still speaks of it.
        poll_id = conn.execute(
            """INSERT INTO polls (id, title, created_at, created_by, closes_at) VALUES (
                 (SELECT coalesce(max(m), 0) + 1 FROM
                   (SELECT max(id) AS m FROM polls UNION ALL SELECT max(poll_id) FROM events)),
                 ?, ?, ?, ?)""",
            (title, to_iso(created_at), creator, to_iso(closes_at)),
        ).lastrowid
        assert poll_id is not None
        conn.executemany(
            "INSERT INTO options (poll_id, number, name) VALUES (?, ?, ?)",
            [(poll_id, i, name) for i, name in enumerate(names, 1)],
        )
        _event(conn, poll_id, "created", creator, now, closes_at=to_iso(closes_at))
    return get_poll(conn, poll_id)


_POLL_COLUMNS = "id, title, created_at, created_by, closes_at, closed_at, closed_by, finalized_at"


def _opt_time(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def _load(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[Poll]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    marks = ",".join("?" * len(ids))
    options: dict[int, list[Option]] = {i: [] for i in ids}
    for o in conn.execute(
        f"""SELECT o.poll_id, o.number, o.name, count(b.id) AS votes
            FROM options o LEFT JOIN ballots b ON b.option_id = o.id
            WHERE o.poll_id IN ({marks}) GROUP BY o.id ORDER BY o.poll_id, o.number""",
        ids,
    ):
        options[o["poll_id"]].append(Option(o["number"], o["name"], o["votes"]))
    return [
        Poll(
            id=r["id"],
            title=r["title"],
            created_at=from_iso(r["created_at"]),
            created_by=r["created_by"],
            closes_at=from_iso(r["closes_at"]),
            closed_at=_opt_time(r["closed_at"]),
            closed_by=r["closed_by"],
            finalized_at=_opt_time(r["finalized_at"]),
            options=tuple(options[r["id"]]),
        )
        for r in rows
    ]


def get_poll(conn: sqlite3.Connection, poll_id: int) -> Poll:
    rows = conn.execute(f"SELECT {_POLL_COLUMNS} FROM polls WHERE id = ?", (poll_id,)).fetchall()
    if not rows:
        raise PollNotFound(f"no poll {poll_id}: `votr list --all` shows the polls there are")
    return _load(conn, rows)[0]


def list_polls(conn: sqlite3.Connection, now: datetime, which: str = "open") -> list[Poll]:
    """Polls by deadline; `which` is 'open', 'closed' or 'all' (status derived as in invariant 1)."""
    stamp = to_iso(now)
    where = {
        "open": "WHERE closed_at IS NULL AND closes_at > ?",
        "closed": "WHERE NOT (closed_at IS NULL AND closes_at > ?)",
        "all": "WHERE ? IS NOT NULL",
    }[which]
    rows = conn.execute(f"SELECT {_POLL_COLUMNS} FROM polls {where} ORDER BY closes_at, id", (stamp,)).fetchall()
    return _load(conn, rows)


def closed_message(poll: Poll, now: datetime) -> str:
    return f"poll {poll.id} {remaining_phrase(poll.closes_at, now, poll.ended_at(now))}; it takes no more votes"


def find_option(poll: Poll, choice: str) -> Option:
    """A name (case-insensitive) wins over a number, so an option named '2' is chosen by name."""
    wanted = require_utf8(choice, "choice").strip().casefold()
    for option in poll.options:
        if option.name.casefold() == wanted:
            return option
    if wanted.isascii() and wanted.isdigit():
        number = int(wanted)
        if 1 <= number <= len(poll.options):
            return poll.options[number - 1]
        raise VotrError(f"poll {poll.id} has no option {number}: choose 1 to {len(poll.options)}")
    names = ", ".join(f"{o.number} {o.name}" for o in poll.options)
    raise VotrError(f"poll {poll.id} has no option {choice!r}: choose one of {names}")


def vote(conn: sqlite3.Connection, poll_id: int, choice: str, voter: str, clock: Clock) -> VoteOutcome:
    """Store `voter`'s ballot, replacing an earlier one, if the poll is open right now."""
    voter = clean_voter(voter)
    with transaction(conn):
        # Read the clock under the write lock: a vote that waited for the lock
        # past the deadline must be refused.
        now = clock()
        poll = get_poll(conn, poll_id)
        if not poll.is_open(now):
            raise PollClosed(closed_message(poll, now))
        option = find_option(poll, choice)
        before = conn.execute(
            "SELECT o.name FROM ballots b JOIN options o ON o.id = b.option_id WHERE b.poll_id = ? AND b.voter = ?",
            (poll_id, voter),
        ).fetchone()
        previous = before["name"] if before else None
        if previous != option.name:
            conn.execute(
                """INSERT INTO ballots (poll_id, option_id, voter, cast_at)
                   VALUES (?, (SELECT id FROM options WHERE poll_id = ? AND number = ?), ?, ?)
                   ON CONFLICT (poll_id, voter)
                   DO UPDATE SET option_id = excluded.option_id, cast_at = excluded.cast_at""",
                (poll_id, poll_id, option.number, voter, to_iso(now)),
            )
            if previous is None:
                _event(conn, poll_id, "voted", voter, now, option=option.name)
            else:
                _event(conn, poll_id, "changed vote", voter, now, option=option.name, previous=previous)
        poll = get_poll(conn, poll_id)
    return VoteOutcome(poll, poll.options[option.number - 1], previous, voter)


def close_poll(conn: sqlite3.Connection, poll_id: int, actor: str, clock: Clock) -> Poll:
    """Stop voting now; finalising (the `closed` event, the hook) is the daemon's job."""
    with transaction(conn):
        now = clock()  # under the write lock, so no ballot lands after closed_at
        poll = get_poll(conn, poll_id)
        if not poll.is_open(now):
            raise PollClosed(f"poll {poll_id} is already closed: {closed_message(poll, now)}")
        conn.execute("UPDATE polls SET closed_at = ?, closed_by = ? WHERE id = ?", (to_iso(now), actor, poll_id))
        return get_poll(conn, poll_id)


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

        winners = [o.name for o in poll.leaders]
        result = {"total_votes": poll.total_votes, "options": [[o.name, o.votes] for o in poll.options]}
        conn.execute(
            "UPDATE polls SET closed_at = ?, finalized_at = ?, result = ?, hook_state = ? WHERE id = ?",
            (
                to_iso(ended),
                to_iso(now),
                json.dumps(result | {"winners": winners}),
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
            closed_at=to_iso(ended),
            winners=winners,
            total_votes=poll.total_votes,
        )
        return Finalised("finalized", get_poll(conn, poll_id))


def set_hook_state(conn: sqlite3.Connection, poll_id: int, ended_at: datetime, state: str) -> None:
    """Record how the hook of one closing went; a reopened poll's old closing is left alone."""
    with transaction(conn):
        conn.execute(
            "UPDATE polls SET hook_state = ? WHERE id = ? AND closed_at = ? AND hook_state IS NOT NULL",
            (state, poll_id, to_iso(ended_at)),
        )


def hooks_pending(conn: sqlite3.Connection) -> list[tuple[int, datetime]]:
    """(poll, closing) pairs finalised whose hook has neither succeeded nor given up."""
    rows = conn.execute("SELECT id, closed_at FROM polls WHERE hook_state = 'pending' ORDER BY closed_at").fetchall()
    return [(r["id"], from_iso(r["closed_at"])) for r in rows]


def awaiting_close(conn: sqlite3.Connection) -> list[Poll]:
    """Polls not finalised yet (open ones and overdue ones), the next to end first."""
    rows = conn.execute(
        f"SELECT {_POLL_COLUMNS} FROM polls WHERE finalized_at IS NULL ORDER BY coalesce(closed_at, closes_at), id"
    ).fetchall()
    return _load(conn, rows)


def delete_poll(conn: sqlite3.Connection, poll_id: int, actor: str, clock: Clock) -> Poll:
    with transaction(conn):
        now = clock()
        poll = get_poll(conn, poll_id)
        conn.execute("DELETE FROM polls WHERE id = ?", (poll_id,))
        _event(conn, poll_id, "deleted", actor, now, title=poll.title, total_votes=poll.total_votes)
    return poll
