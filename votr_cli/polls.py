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
from .methods.base import Tally
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


def voting_ended(closed_at: datetime | None, closes_at: datetime, now: datetime) -> datetime | None:
    """Invariant 1's other half: voting ended at an early close, or at the deadline once it has passed."""
    if closed_at is not None:
        return closed_at
    return closes_at if now >= closes_at else None


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
    options: tuple[Option, ...]  # each with its `votes` as the method counts them
    method: str
    max_choices: int | None  # approval: how many options a ballot may approve
    max_score: int | None  # score: the highest rating
    tally: Tally

    def is_open(self, now: datetime) -> bool:
        """Invariant 1: open exactly while nothing closed it and the deadline is ahead."""
        return self.closed_at is None and now < self.closes_at

    def ended_at(self, now: datetime) -> datetime | None:
        """When voting ended, whether or not anything has finalised the poll yet."""
        return voting_ended(self.closed_at, self.closes_at, now)

    @property
    def total_votes(self) -> int:
        """Ballots cast (voters), whatever the method."""
        return self.tally.ballots

    @property
    def leaders(self) -> list[Option]:
        """The options that lead or won, ties included (none with no ballots)."""
        return [self.options[i] for i in self.tally.leaders]

    def result_json(self) -> dict:
        """The count as JSON: what the daemon freezes at close, and the part of `to_json` that is the tally."""
        doc: dict = {
            "method": self.method,
            "total_votes": self.total_votes,
            "options": [
                {"number": o.number, "name": o.name, "votes": o.votes, **extra}
                for o, extra in zip(self.options, self.tally.option_extra, strict=True)
            ],
            "leaders": [o.name for o in self.leaders],
        }
        if self.max_choices is not None:
            doc["max_choices"] = self.max_choices
        if self.max_score is not None:
            doc["max_score"] = self.max_score
        return doc | self.tally.extra

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
        } | self.result_json()


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


class Rules(NamedTuple):
    """How a poll counts: its method and that method's limits."""

    method: str = "single"
    max_choices: int | None = None
    max_score: int | None = None


SINGLE = Rules()
DEFAULT_MAX_SCORE = 5
MAX_SCORE_LIMIT = 100


def check_rules(method: str, options: int, max_choices: int | None, max_score: int | None) -> Rules:
    """The rules as stored (score's default filled in), or the reason they are refused."""
    from .methods import METHODS

    if method not in METHODS:
        raise VotrError(f"unknown method {method!r}: choose {', '.join(METHODS)}")
    if max_choices is not None:
        if method != "approval":
            raise VotrError(f"--max-choices is for approval polls, not {method}")
        if not 1 <= max_choices <= options:
            raise VotrError(f"--max-choices must be from 1 to {options} (the number of options), not {max_choices}")
    if max_score is not None and method != "score":
        raise VotrError(f"--max-score is for score polls, not {method}")
    if method == "score":
        max_score = DEFAULT_MAX_SCORE if max_score is None else max_score
        if not 1 <= max_score <= MAX_SCORE_LIMIT:
            raise VotrError(f"--max-score must be from 1 to {MAX_SCORE_LIMIT}, not {max_score}")
    return Rules(method, max_choices, max_score)


def check_new_poll(title: str, options: Sequence[str], rules: Rules = SINGLE) -> Rules:
    """Refuse a bad title, options or rules before anything is opened or created."""
    _clean_title(title)
    return check_rules(rules.method, len(_clean_options(options)), rules.max_choices, rules.max_score)


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
    rules: Rules = SINGLE,
) -> Poll:
    """Store a new poll; `created_at` (default: the clock) is when the command began, which a duration counts from."""
    from .timeparse import check_deadline

    title = _clean_title(title)
    names = _clean_options(options)
    rules = check_rules(rules.method, len(names), rules.max_choices, rules.max_score)
    with transaction(conn):
        # The deadline is checked by the clock read where it is stored: a
        # create that waited for the lock must not store a deadline already past.
        now = clock()
        check_deadline(closes_at, now)
        created_at = created_at or now
        # A deleted poll's number is never given out again: the event log still speaks of it.
        poll_id = conn.execute(
            """INSERT INTO polls (id, title, created_at, created_by, closes_at, method, max_choices, max_score)
               VALUES ((SELECT coalesce(max(m), 0) + 1 FROM
                   (SELECT max(id) AS m FROM polls UNION ALL SELECT max(poll_id) FROM events)),
                 ?, ?, ?, ?, ?, ?, ?)""",
            (title, to_iso(created_at), creator, to_iso(closes_at), *rules),
        ).lastrowid
        assert poll_id is not None
        conn.executemany(
            "INSERT INTO options (poll_id, number, name) VALUES (?, ?, ?)",
            [(poll_id, i, name) for i, name in enumerate(names, 1)],
        )
        _event(conn, poll_id, "created", creator, now, creator, closes_at=to_iso(closes_at))
    return get_poll(conn, poll_id)


_POLL_COLUMNS = (
    "id, title, created_at, created_by, closes_at, closed_at, closed_by, finalized_at, method, max_choices, max_score"
)


def _opt_time(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


_INDEX = {str(n): n - 1 for n in range(1, MAX_OPTIONS + 1)}  # "3" -> 2, without int() per item


def decode_ballot(method: str, choice: str) -> tuple:
    """A stored ballot (`2`, `3,1,2`, `1=5,3=2`: option numbers) as the method counts it (option indices)."""
    if not choice:
        return ()
    if method == "score":
        return tuple((_INDEX[n], int(v)) for n, v in (pair.split("=") for pair in choice.split(",")))
    return tuple(map(_INDEX.__getitem__, choice.split(",")))


def _count(method: str, names: list[str], groups: list[tuple[str, int]]) -> Tally:
    from .methods import get

    return get(method).tally(names, [(decode_ballot(method, c), n) for c, n in groups])


def _load(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[Poll]:
    """Polls with their options and tallies: two indexed queries however many polls, never one per poll."""
    if not rows:
        return []
    if len(rows) == 1:
        where, args = "poll_id = ?", (rows[0]["id"],)
    else:
        import json

        # One parameter however many polls: no "too many SQL variables" past 32,766.
        where, args = "poll_id IN (SELECT value FROM json_each(?))", (json.dumps([r["id"] for r in rows]),)
    names: dict[int, list[str]] = {r["id"]: [] for r in rows}
    for poll_id, name in conn.execute(
        f"SELECT poll_id, name FROM options WHERE {where} ORDER BY poll_id, number", args
    ):
        names[poll_id].append(name)
    groups: dict[int, list[tuple[str, int]]] = {r["id"]: [] for r in rows}
    # Identical ballots (the same ranking, say) come back once, with their count.
    for poll_id, choice, n in conn.execute(
        f"SELECT poll_id, choice, count(*) FROM ballots WHERE {where} GROUP BY poll_id, choice", args
    ):
        groups[poll_id].append((choice, n))
    polls = []
    for r in rows:
        tally = _count(r["method"], names[r["id"]], groups[r["id"]])
        polls.append(
            Poll(
                id=r["id"],
                title=r["title"],
                created_at=from_iso(r["created_at"]),
                created_by=r["created_by"],
                closes_at=from_iso(r["closes_at"]),
                closed_at=_opt_time(r["closed_at"]),
                closed_by=r["closed_by"],
                finalized_at=_opt_time(r["finalized_at"]),
                options=tuple(
                    Option(i, n, v) for i, (n, v) in enumerate(zip(names[r["id"]], tally.votes, strict=True), 1)
                ),
                method=r["method"],
                max_choices=r["max_choices"],
                max_score=r["max_score"],
                tally=tally,
            )
        )
    return polls


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
