"""Ballots: who may vote as whom, one ballot per voter identity, the vote itself.

No click, no rich. Voter names are one identity under NFKC and case folding
(invariant 10): `Ana`, `ana` and `ＡＮＡ` share one ballot.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from .errors import VotrError
from .polls import Clock, Option, Poll, PollClosed, _event, check_creator, closed_message, get_poll
from .store import transaction
from .text import clean_name, identity, require_utf8
from .timefmt import to_iso

MAX_VOTER = 64


class VoteOutcome(NamedTuple):
    poll: Poll
    option: Option
    previous: str | None  # the option this voter's ballot named before, if any
    voter: str

    @property
    def unchanged(self) -> bool:
        return self.previous == self.option.name


def clean_voter(voter: str) -> str:
    voter = clean_name(voter, "the voter name")
    if not voter:
        raise VotrError("the voter name is empty")
    if len(voter) > MAX_VOTER:
        raise VotrError(f"the voter name is {len(voter)} characters long; at most {MAX_VOTER} are allowed")
    return voter


def find_option(poll: Poll, choice: str) -> Option:
    """A name (any case, any Unicode spelling) wins over a number, so an option named '2' is chosen by name."""
    typed = require_utf8(choice, "choice").strip()
    wanted = identity(typed)
    for option in poll.options:
        if identity(option.name) == wanted:
            return option
    if wanted.isascii() and wanted.isdigit():
        number = int(wanted)
        if 1 <= number <= len(poll.options):
            return poll.options[number - 1]
        raise VotrError(f"poll {poll.id} has no option {number}: choose 1 to {len(poll.options)}")
    names = ", ".join(f"{o.number} {o.name}" for o in poll.options)
    raise VotrError(f"poll {poll.id} has no option {typed!r}: choose one of {names}")


def vote(
    conn: sqlite3.Connection, poll_id: int, choice: str, voter: str | None, clock: Clock, account: str
) -> VoteOutcome:
    """Store a ballot for `voter` (default: the account itself), replacing that voter's earlier one, if open now.

    Casting under another name than one's own account is the creator's
    right alone (a facilitator entering votes): invariant 10.
    """
    voter = clean_voter(voter if voter is not None else account)
    key = identity(voter)
    with transaction(conn):
        # Read the clock under the write lock: a vote that waited for the lock
        # past the deadline must be refused.
        now = clock()
        poll = get_poll(conn, poll_id)
        if key != identity(account):
            check_creator(poll, account, f"vote as someone else ({voter})")
        if not poll.is_open(now):
            raise PollClosed(closed_message(poll, now))
        option = find_option(poll, choice)
        before = conn.execute(
            """SELECT o.name, b.voter FROM ballots b JOIN options o ON o.id = b.option_id
               WHERE b.poll_id = ? AND b.voter_key = ?""",
            (poll_id, key),
        ).fetchone()
        previous = before["name"] if before else None
        if before is not None:
            voter = before["voter"]  # the name as first cast: `Ana` after `ana` is the same voter
        if previous != option.name:
            conn.execute(
                """INSERT INTO ballots (poll_id, option_id, voter, voter_key, account, cast_at)
                   VALUES (?, (SELECT id FROM options WHERE poll_id = ? AND number = ?), ?, ?, ?, ?)
                   ON CONFLICT (poll_id, voter_key)
                   DO UPDATE SET option_id = excluded.option_id, account = excluded.account,
                                 cast_at = excluded.cast_at""",
                (poll_id, poll_id, option.number, voter, key, account, to_iso(now)),
            )
            if previous is None:
                _event(conn, poll_id, "voted", voter, now, account, option=option.name)
            else:
                _event(conn, poll_id, "changed vote", voter, now, account, option=option.name, previous=previous)
        poll = get_poll(conn, poll_id)
    return VoteOutcome(poll, poll.options[option.number - 1], previous, voter)
