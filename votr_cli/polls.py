"""The domain: polls, options, ballots and the rules between them.

No click, no rich. Every function takes the connection and the current time
(or a clock, where the time must be read under the write lock) from its caller.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import NamedTuple

from .errors import VotrError
from .methods.base import Tally
from .timefmt import from_iso, remaining_phrase, to_iso
from .voting import OPEN, Voting

MAX_OPTIONS = 26
DEFAULT_OPEN_FOR = timedelta(hours=24)  # as in the original Votr

Clock = Callable[[], datetime]


class PollNotFound(VotrError):
    pass


class PollClosed(VotrError):
    pass


class DamagedPoll(VotrError):
    """A poll whose rows were edited into nonsense outside votr."""


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


_WINNER_KEYS = frozenset({"irv_winner", "condorcet_winner", "star_winner"})


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
    voting: Voting = OPEN  # who votes and what they see
    counted: bool = True  # False: loaded without its tally (see `_load`); show no count from it

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
    def quorum_reached(self) -> bool:
        return self.voting.quorum is None or self.total_votes >= self.voting.quorum

    @property
    def front(self) -> list[Option]:
        """The options ahead in the count, ties included (none with no ballots), quorum or not."""
        return [self.options[i] for i in self.tally.leaders]

    def no_winner(self, now: datetime) -> bool:
        """Voting ended below the quorum: nobody won, whatever the count says."""
        return not self.quorum_reached and self.ended_at(now) is not None

    def leaders_at(self, now: datetime) -> list[Option]:
        """The options that lead (while open) or won, ties included; none with no ballots or below quorum at close."""
        return [] if self.no_winner(now) else self.front

    def count_extra(self, now: datetime) -> dict:
        """The method's own keys (rounds, Condorcet, STAR); a poll closed below quorum names no winner in them."""
        if not self.no_winner(now):
            return self.tally.extra
        return {k: None if k in _WINNER_KEYS else v for k, v in self.tally.extra.items()}

    def results_visible(self, now: datetime) -> bool:
        """A poll that hides its results shows only its ballot count until voting ends."""
        return not (self.voting.hide_results and self.is_open(now))

    def result_json(self, now: datetime) -> dict:
        """The count as JSON: what the daemon freezes at close, and the part of `to_json` that is the tally."""
        self._require_count()
        doc: dict = {
            "method": self.method,
            "total_votes": self.total_votes,
            "options": [
                {"number": o.number, "name": o.name, "votes": o.votes, **extra}
                for o, extra in zip(self.options, self.tally.option_extra, strict=True)
            ],
            "leaders": [o.name for o in self.leaders_at(now)],
        }
        if self.max_choices is not None:
            doc["max_choices"] = self.max_choices
        if self.max_score is not None:
            doc["max_score"] = self.max_score
        if self.voting.quorum is not None:
            doc["quorum"] = self.voting.quorum_json(self.total_votes)
        return doc | self.count_extra(now)

    def _require_count(self) -> None:
        if not self.counted:
            raise ValueError(f"poll {self.id} was loaded without its tally: it has no result to show")

    def hidden_json(self) -> dict:
        """`result_json` for a poll whose results are hidden: the ballot count, nothing that reveals a choice."""
        doc: dict = {
            "method": self.method,
            "total_votes": self.total_votes,
            "options": [{"number": o.number, "name": o.name, "votes": None} for o in self.options],
            "leaders": None,
        }
        if self.max_choices is not None:
            doc["max_choices"] = self.max_choices
        if self.max_score is not None:
            doc["max_score"] = self.max_score
        return doc

    def to_json(self, now: datetime) -> dict:
        self._require_count()
        ended = self.ended_at(now)
        visible = self.results_visible(now)
        v = self.voting
        return (
            {
                "id": self.id,
                "title": self.title,
                "status": "open" if self.is_open(now) else "closed",
                "created_at": to_iso(self.created_at),
                "created_by": self.created_by,
                "closes_at": to_iso(self.closes_at),
                "closed_at": to_iso(ended) if ended else None,
                "finalized_at": to_iso(self.finalized_at) if self.finalized_at else None,
            }
            | (self.result_json(now) if visible else self.hidden_json())
            | {
                "results_hidden": not visible,
                "rules": v.rules_json(),
                "roll": v.roll_json(self.total_votes),
                "quorum": v.quorum_json(self.total_votes),
            }
        )


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
        if isinstance(value, bool):
            marks.append("?, json(?)")
            args += [key, "true" if value else "false"]
        elif isinstance(value, list | dict):
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


def check_creator(poll: Poll, account: str, doing: str) -> None:
    """Invariant 10: only the account that created a poll may close, extend or delete it, or vote for others."""
    if account != poll.created_by:
        raise VotrError(f"only poll {poll.id}'s creator ({poll.created_by}) may {doing}; you are {account}")


_POLL_COLUMNS = (
    "id, title, created_at, created_by, closes_at, closed_at, closed_by, finalized_at, method, max_choices, max_score, "
    "roll_size, quorum, quorum_percent, hide_results, anonymous, no_revote, close_when_all_voted, remind_before"
)


def _voting(r: sqlite3.Row) -> Voting:
    if r["roll_size"] is None and r["quorum"] is None and not r["remind_before"]:
        if not (r["hide_results"] or r["anonymous"] or r["no_revote"]):
            return OPEN
    return Voting(
        roll_size=r["roll_size"],
        quorum=r["quorum"],
        quorum_percent=r["quorum_percent"],
        hide_results=bool(r["hide_results"]),
        anonymous=bool(r["anonymous"]),
        no_revote=bool(r["no_revote"]),
        close_when_all_voted=bool(r["close_when_all_voted"]),
        remind_before=tuple(int(s) for s in r["remind_before"].split(",")) if r["remind_before"] else (),
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


def _load(conn: sqlite3.Connection, rows: list[sqlite3.Row], count: bool = True) -> list[Poll]:
    """Polls with their options and tallies: two indexed queries however many polls, never one per poll.

    `count=False` skips the tally (for checks that need only the rules and options, such as a
    vote's): its polls say they were not counted, and their counts are zero.
    """
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
    if count:
        for poll_id, choice, n in conn.execute(
            f"SELECT poll_id, choice, count(*) FROM ballots WHERE {where} GROUP BY poll_id, choice", args
        ):
            groups[poll_id].append((choice, n))
    polls = []
    for r in rows:
        try:
            polls.append(_poll(r, names[r["id"]], groups[r["id"]], count))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            # One row someone edited by hand must not end every read in a traceback.
            raise DamagedPoll(
                f"poll {r['id']} is damaged in the store ({type(exc).__name__}: {str(exc)[:80]}); "
                "repair or delete its rows with sqlite3"
            ) from None
    return polls


def _poll(r: sqlite3.Row, names: list[str], groups: list[tuple[str, int]], count: bool) -> Poll:
    if not isinstance(r["title"], str) or not names or not all(isinstance(n, str) for n in names):
        raise TypeError("its title or options are not text")
    n = len(names)
    tally = _count(r["method"], names, groups) if count else Tally(r["method"], 0, (0,) * n, (), ({},) * n, {})
    return Poll(
        id=r["id"],
        title=r["title"],
        created_at=from_iso(r["created_at"]),
        created_by=r["created_by"],
        closes_at=from_iso(r["closes_at"]),
        closed_at=_opt_time(r["closed_at"]),
        closed_by=r["closed_by"],
        finalized_at=_opt_time(r["finalized_at"]),
        options=tuple(Option(i, n, v) for i, (n, v) in enumerate(zip(names, tally.votes, strict=True), 1)),
        method=r["method"],
        max_choices=r["max_choices"],
        max_score=r["max_score"],
        tally=tally,
        voting=_voting(r),
        counted=count,
    )


def get_poll(conn: sqlite3.Connection, poll_id: int, count: bool = True) -> Poll:
    rows = conn.execute(f"SELECT {_POLL_COLUMNS} FROM polls WHERE id = ?", (poll_id,)).fetchall()
    if not rows:
        raise PollNotFound(f"no poll {poll_id}: `votr list --all` shows the polls there are")
    return _load(conn, rows, count)[0]


_WHICH = {
    "open": "WHERE closed_at IS NULL AND closes_at > ?",
    "closed": "WHERE NOT (closed_at IS NULL AND closes_at > ?)",
    "all": "WHERE ? IS NOT NULL",
}
BATCH = 200  # polls loaded at a time: memory stays flat however many polls there are


def iter_polls(
    conn: sqlite3.Connection, now: datetime, which: str = "open", limit: int | None = None
) -> Iterator[Poll]:
    """Polls in the order `list` shows them, loaded a batch at a time; `which` is 'open', 'closed' or 'all'.

    Open and closed are derived as in invariant 1. `limit` None (or 0) means all.
    """
    # Open polls (and all) by deadline, the soonest first; closed ones the most recently closed first.
    order = "coalesce(closed_at, closes_at) DESC, id DESC" if which == "closed" else "closes_at, id"
    sql = f"SELECT {_POLL_COLUMNS} FROM polls {_WHICH[which]} ORDER BY {order}"
    args: tuple = (to_iso(now),)
    if limit:
        sql += " LIMIT ?"
        args += (limit,)
    cursor = conn.execute(sql, args)
    while rows := cursor.fetchmany(BATCH):
        yield from _load(conn, rows)


def count_polls(conn: sqlite3.Connection, now: datetime, which: str = "open") -> int:
    return conn.execute(f"SELECT count(*) FROM polls {_WHICH[which]}", (to_iso(now),)).fetchone()[0]


def closed_message(poll: Poll, now: datetime) -> str:
    return f"poll {poll.id} {remaining_phrase(poll.closes_at, now, poll.ended_at(now))}; it takes no more votes"
