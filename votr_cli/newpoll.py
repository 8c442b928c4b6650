"""A new poll: its title, options and rules checked, then stored with its roll and reminders.

No click, no rich; like `polls`, the clock comes from the caller and is read
under the write lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from .errors import VotrError
from .polls import MAX_OPTIONS, Clock, Poll, _event, get_poll
from .store import transaction
from .text import clean_name, identity
from .timefmt import to_iso
from .voting import OPEN, Voting

MAX_TITLE = 200
MAX_OPTION_NAME = 100


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


def create_poll(
    conn: sqlite3.Connection,
    title: str,
    options: Sequence[str],
    closes_at: datetime,
    clock: Clock,
    creator: str,
    created_at: datetime | None = None,
    rules: Rules = SINGLE,
    voting: Voting = OPEN,
    roll: Sequence[str] | None = None,
) -> Poll:
    """Store a new poll; `created_at` (default: the clock) is when the command began, which a duration counts from.

    `voting` is as `voting.check_voting` made it, for the names in `roll`.
    """
    from .timeparse import check_deadline

    if (roll is None) != (voting.roll_size is None) or roll is not None and len(roll) != voting.roll_size:
        raise ValueError("the roll and voting.roll_size disagree")
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
            """INSERT INTO polls (id, title, created_at, created_by, closes_at, method, max_choices, max_score,
                 roll_size, quorum, quorum_percent, hide_results, anonymous, no_revote, close_when_all_voted,
                 remind_before)
               VALUES ((SELECT coalesce(max(m), 0) + 1 FROM
                   (SELECT max(id) AS m FROM polls UNION ALL SELECT max(poll_id) FROM events)),
                 ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                title,
                to_iso(created_at),
                creator,
                to_iso(closes_at),
                *rules,
                *voting[:-1],
                ",".join(map(str, voting.remind_before)) or None,
            ),
        ).lastrowid
        assert poll_id is not None
        conn.executemany(
            "INSERT INTO options (poll_id, number, name) VALUES (?, ?, ?)",
            [(poll_id, i, name) for i, name in enumerate(names, 1)],
        )
        if roll is not None:
            conn.executemany(
                "INSERT INTO roll (poll_id, voter, voter_key) VALUES (?, ?, ?)",
                [(poll_id, name, identity(name)) for name in roll],
            )
        if voting.remind_before:
            from .reminders import arm

            arm(conn, poll_id, closes_at, voting.remind_before)
        # The title and whether results are hidden outlive a deleted poll here, for `votr log`.
        _event(
            conn,
            poll_id,
            "created",
            creator,
            now,
            creator,
            closes_at=to_iso(closes_at),
            title=title,
            hide_results=voting.hide_results,
        )
    return get_poll(conn, poll_id)
