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
from .text import clean_name, identity
from .timefmt import from_iso, remaining_phrase, to_iso

MAX_TITLE = 200
MAX_OPTIONS = 26
MAX_OPTION_NAME = 100
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


def parse_poll_id(text: str) -> int:
    """A poll's number as the user typed it (`7` or `#7`)."""
    raw = text.strip().removeprefix("#")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) < 2**63:
        raise VotrError(f"{text!r} is not a poll number: use the number `votr list` shows, e.g. 3")
    return int(raw)


def _event(
    conn: sqlite3.Connection, poll_id: int, kind: str, actor: str, at: datetime, account: str, **detail: object
) -> None:
    """One line of the log: what happened, to whom (`actor`: a voter, or who acted), by which OS account."""
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
        f"INSERT INTO events (poll_id, kind, actor, account, at, detail) VALUES (?, ?, ?, ?, ?, {doc})",
        (poll_id, kind, actor, account, to_iso(at), *args),
    )


def _clean_title(title: str) -> str:
    # A title may hold line breaks (a question with context), nothing else invisible.
    title = clean_name(title, "the title", allow_newlines=True)
    if not title:
        raise VotrError("the title is empty: give the poll a question, e.g. 'Lunch?'")
    if len(title) > MAX_TITLE:
        raise VotrError(f"the title is {len(title)} characters long; at most {MAX_TITLE} are allowed")
    return title


def _clean_options(names: Sequence[str]) -> list[str]:
    cleaned = [clean_name(n, "option") for n in names]
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
        key = identity(name)  # Café and Cafe + combining accent, Pizza and ＰＩＺＺＡ: one option
        if key in seen:
            raise VotrError(f"option {name!r} is given twice (as {seen[key]!r} too); options must differ")
        seen[key] = name
    return cleaned


def check_new_poll(title: str, options: Sequence[str]) -> None:
    """Refuse a bad title or options before anything is opened or created."""
    _clean_title(title)
    _clean_options(options)


def check_creator(poll: Poll, account: str, doing: str) -> None:
    """Invariant 10: only the account that created a poll may close, extend or delete it, or vote for others."""
    if account != poll.created_by:
        raise VotrError(f"only poll {poll.id}'s creator ({poll.created_by}) may {doing}; you are {account}")


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
        _event(conn, poll_id, "created", creator, now, creator, closes_at=to_iso(closes_at))
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
