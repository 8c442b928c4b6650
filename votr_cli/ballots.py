"""Ballots: who may vote as whom, one ballot per voter identity, the vote itself.

No click, no rich. Voter names are one identity under NFKC and case folding
(invariant 10): `Ana`, `ana` and `ＡＮＡ` share one ballot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

from .errors import VotrError
from .polls import Clock, Option, Poll, PollClosed, _event, check_creator, closed_message, get_poll
from .store import transaction
from .text import clean_name, identity, require_utf8
from .timefmt import to_iso

MAX_VOTER = 64


class VoteOutcome(NamedTuple):
    poll: Poll
    ballot: str  # as stored: option numbers (see migrations.m005_methods)
    previous: str | None  # this voter's ballot before, if any
    voter: str

    @property
    def unchanged(self) -> bool:
        return self.previous == self.ballot

    def choices(self, ballot: str | None = None) -> list[str]:
        """A ballot's options by name, in its order; score ballots as `NAME=N`."""
        return describe(self.poll, self.ballot if ballot is None else ballot)


def describe(poll: Poll, ballot: str) -> list[str]:
    from .polls import decode_ballot

    names = [o.name for o in poll.options]
    if poll.method == "score":
        return [f"{names[i]}={v}" for i, v in decode_ballot("score", ballot)]
    return [names[i] for i in decode_ballot(poll.method, ballot)]


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


def _score_pair(poll: Poll, text: str) -> tuple[Option, int]:
    name, sep, value = text.rpartition("=")
    if not sep or not name.strip():
        raise VotrError(f"poll {poll.id} is a score poll: rate each option as NAME=N or NUMBER=N, not {text!r}")
    value = value.strip()
    if not (value.isascii() and value.isdigit()):
        raise VotrError(f"the score in {text!r} is not a whole number from 0 to {poll.max_score}")
    score = int(value)
    if score > (poll.max_score or 0):
        raise VotrError(f"the score in {text!r} is above poll {poll.id}'s highest, {poll.max_score}")
    return find_option(poll, name), score


def parse_ballot(poll: Poll, choices: Sequence[str]) -> str:
    """The CHOICEs typed, checked against the poll's method, as the ballot text stored (option numbers)."""
    method = poll.method
    if not choices:
        raise VotrError("give at least one choice")
    if method == "single" and len(choices) > 1:
        raise VotrError(f"poll {poll.id} takes one choice (it is a single-choice poll), not {len(choices)}")
    if method == "approval" and poll.max_choices is not None and len(choices) > poll.max_choices:
        raise VotrError(f"poll {poll.id} takes at most {poll.max_choices} approvals, not {len(choices)}")
    picked: dict[int, str] = {}  # option number -> how it was typed
    scores: dict[int, int] = {}
    for typed in choices:
        if method == "score":
            option, scores_value = _score_pair(poll, typed)
        else:
            option, scores_value = find_option(poll, typed), 0
        if option.number in picked:
            raise VotrError(
                f"option {option.number} ({option.name}) is chosen twice: as {picked[option.number]!r} and {typed!r}"
            )
        picked[option.number] = typed
        scores[option.number] = scores_value
    if method == "score":
        return ",".join(f"{n}={v}" for n, v in sorted(scores.items()) if v)
    if method == "approval":
        return ",".join(str(n) for n in sorted(picked))
    return ",".join(str(n) for n in picked)  # single, and ranked in the order typed


def vote(
    conn: sqlite3.Connection, poll_id: int, choices: Sequence[str], voter: str | None, clock: Clock, account: str
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
        ballot = parse_ballot(poll, choices)
        before = conn.execute(
            "SELECT choice, voter FROM ballots WHERE poll_id = ? AND voter_key = ?", (poll_id, key)
        ).fetchone()
        previous = before["choice"] if before else None
        if before is not None:
            voter = before["voter"]  # the name as first cast: `Ana` after `ana` is the same voter
        if previous != ballot:
            conn.execute(
                """INSERT INTO ballots (poll_id, voter, voter_key, account, choice, cast_at) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (poll_id, voter_key)
                   DO UPDATE SET choice = excluded.choice, account = excluded.account, cast_at = excluded.cast_at""",
                (poll_id, voter, key, account, ballot, to_iso(now)),
            )
            said = ", ".join(describe(poll, ballot))
            if previous is None:
                _event(conn, poll_id, "voted", voter, now, account, option=said)
            else:
                was = ", ".join(describe(poll, previous))
                _event(conn, poll_id, "changed vote", voter, now, account, option=said, previous=was)
        poll = get_poll(conn, poll_id)
    return VoteOutcome(poll, ballot, previous, voter)
