"""Ballots: who may vote as whom, one ballot per voter identity, the vote itself.

No click, no rich. Voter names are one identity under NFKC and case folding
(invariant 10): `Ana`, `ana` and `ＡＮＡ` share one ballot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from .errors import VotrError
from .polls import Clock, Option, Poll, PollClosed, _event, check_creator, closed_message, get_poll
from .store import transaction
from .text import identity, require_utf8
from .timefmt import from_iso, to_iso
from .voting import clean_voter, voter_hash


class VoteOutcome(NamedTuple):
    poll: Poll
    ballot: str  # as stored: option numbers (see migrations.m005_methods)
    previous: str | None  # this voter's ballot before, if any ('' when the poll keeps it from view)
    voter: str
    closed: bool = False  # this ballot was the roll's last, and closed the poll

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


class _Voter(NamedTuple):
    name: str  # as the roll spells it, or as first cast
    key: str  # the identity: NFKC, case-folded
    ballot_key: str  # what the ballot row holds: the identity, or on an anonymous poll its keyed hash
    for_other: bool  # the creator, acting for someone else

    def check_may_change(self, poll: Poll, doing: str) -> None:
        """Where ballots are kept from view, only their voter may replace or withdraw one.

        Otherwise the creator could withdraw someone's ballot (or overwrite
        it) and read that voter's choice off the count that changed.
        """
        if self.for_other and (poll.voting.anonymous or poll.voting.hide_results):
            why = "is anonymous" if poll.voting.anonymous else "hides its results"
            raise VotrError(f"poll {poll.id} {why}: only {self.name} may {doing} their own ballot")


def _voter_for(
    conn: sqlite3.Connection, poll: Poll, voter: str | None, account: str, now: datetime, doing: str
) -> _Voter:
    """Who this ballot is for, once the rules allow it: the creator's right to name others, the roll, the poll open."""
    name = clean_voter(voter if voter is not None else account)
    key = identity(name)
    if key != identity(account):
        check_creator(poll, account, f"{doing} as someone else ({name})")
    if not poll.is_open(now):
        raise PollClosed(closed_message(poll, now))
    if poll.voting.roll_size is not None:
        row = conn.execute("SELECT voter FROM roll WHERE poll_id = ? AND voter_key = ?", (poll.id, key)).fetchone()
        if row is None:
            raise VotrError(f"{name} is not on the voter roll of poll {poll.id}")
        name = row[0]
    for_other = key != identity(account)
    if not poll.voting.anonymous:
        return _Voter(name, key, key, for_other)
    found = conn.execute("SELECT key FROM poll_keys WHERE poll_id = ?", (poll.id,)).fetchone()
    if found is None:  # reopened after its close erased the old key
        import os

        secret = os.urandom(32)
        conn.execute("INSERT INTO poll_keys (poll_id, key) VALUES (?, ?)", (poll.id, secret))
    else:
        secret = found[0]
    return _Voter(name, key, voter_hash(secret, key), for_other)


def vote(
    conn: sqlite3.Connection,
    poll_id: int,
    choices: Sequence[str],
    voter: str | None,
    clock: Clock,
    account: str,
    count: bool = True,
) -> VoteOutcome:
    """Store a ballot for `voter` (default: the account itself), replacing that voter's earlier one, if open now.

    Casting under another name than one's own account is the creator's
    right alone (a facilitator entering votes): invariant 10. An anonymous
    poll's ballot holds no name, no account and no time: `turnout` records
    who took part, and only a keyed hash ties the ballot to its voter.

    `count=False` returns the poll without its tally (`poll.counted` is
    False): on a poll of 100,000 ballots, counting them is most of a vote.
    """
    with transaction(conn):
        # Read the clock under the write lock: a vote that waited for the lock
        # past the deadline must be refused.
        now = clock()
        poll = get_poll(conn, poll_id, count=False)  # the checks need the rules and options, not the count
        who = _voter_for(conn, poll, voter, account, now, "vote")
        rules = poll.voting
        ballot = parse_ballot(poll, choices)
        before = conn.execute(
            "SELECT choice, voter FROM ballots WHERE poll_id = ? AND voter_key = ?", (poll_id, who.ballot_key)
        ).fetchone()
        previous = before["choice"] if before else None
        name = before["voter"] if before and not rules.anonymous else who.name  # `Ana` after `ana`: one voter
        if rules.anonymous and before is None and _took_part(conn, poll_id, who.key):
            raise VotrError(
                f"{name}'s ballot in poll {poll_id} was sealed when the poll closed (anonymous polls keep no "
                "link to it), so it stands and cannot be replaced"
            )
        if before is not None and rules.no_revote:
            raise VotrError(f"{name} has voted in poll {poll_id} already, and the poll allows no revoting")
        if before is not None:
            who.check_may_change(poll, "replace")
        # Where ballots are kept from view, a revote always counts as a change: "nothing changed"
        # would tell whoever revotes for a voter (the creator) what that voter had chosen.
        unseen = rules.anonymous or rules.hide_results
        if previous != ballot or unseen:
            if rules.anonymous:
                import os

                # A random row id: the file's order of ballots says nothing of the order voters came in.
                conn.execute(
                    """INSERT INTO ballots (id, poll_id, voter, voter_key, account, choice, cast_at)
                       VALUES (?, ?, '', ?, NULL, ?, '')
                       ON CONFLICT (poll_id, voter_key) DO UPDATE SET choice = excluded.choice""",
                    (int.from_bytes(os.urandom(8)) >> 1, poll_id, who.ballot_key, ballot),
                )
                conn.execute(
                    """INSERT INTO turnout (poll_id, voter, voter_key, account, voted_at) VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT (poll_id, voter_key) DO UPDATE SET account = excluded.account,
                       voted_at = excluded.voted_at""",
                    (poll_id, name, who.key, account, to_iso(now)),
                )
            else:
                conn.execute(
                    """INSERT INTO ballots (poll_id, voter, voter_key, account, choice, cast_at)
                       VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT (poll_id, voter_key)
                       DO UPDATE SET choice = excluded.choice, account = excluded.account,
                       cast_at = excluded.cast_at""",
                    (poll_id, name, who.key, account, ballot, to_iso(now)),
                )
            # An anonymous poll's log says that someone voted, never what.
            said = {} if rules.anonymous else {"option": ", ".join(describe(poll, ballot))}
            if previous is None:
                _event(conn, poll_id, "voted", name, now, account, **said)
            else:
                was = {} if rules.anonymous else {"previous": ", ".join(describe(poll, previous))}
                _event(conn, poll_id, "changed vote", name, now, account, **said, **was)
        closed = False
        if rules.close_when_all_voted and previous is None:
            from .lifecycle import close_now

            cast = conn.execute("SELECT count(*) FROM ballots WHERE poll_id = ?", (poll_id,)).fetchone()[0]
            if rules.roll_size is not None and cast >= rules.roll_size:
                close_now(conn, poll_id, account, now, reason="everyone on the roll has voted")
                closed = True
        poll = get_poll(conn, poll_id, count)
    if previous is not None and unseen:
        previous = ""  # replaced, but what it was is not for anyone to see
    return VoteOutcome(poll, ballot, previous, name, closed)


def _took_part(conn: sqlite3.Connection, poll_id: int, key: str) -> bool:
    row = conn.execute("SELECT 1 FROM turnout WHERE poll_id = ? AND voter_key = ?", (poll_id, key)).fetchone()
    return row is not None


class Withdrawn(NamedTuple):
    poll: Poll
    voter: str
    ballot: str  # what was withdrawn ('' when the poll keeps it from view)


def unvote(conn: sqlite3.Connection, poll_id: int, voter: str | None, clock: Clock, account: str) -> Withdrawn:
    """Withdraw `voter`'s ballot while the poll is open; the log records it."""
    with transaction(conn):
        now = clock()
        poll = get_poll(conn, poll_id)
        who = _voter_for(conn, poll, voter, account, now, "withdraw a ballot")
        row = conn.execute(
            "SELECT choice, voter FROM ballots WHERE poll_id = ? AND voter_key = ?", (poll_id, who.ballot_key)
        ).fetchone()
        if row is None:
            if poll.voting.anonymous and _took_part(conn, poll_id, who.key):
                raise VotrError(f"{who.name}'s ballot in poll {poll_id} was sealed when the poll closed; it stands")
            raise VotrError(f"{who.name} has no ballot in poll {poll_id} to withdraw")
        name = who.name if poll.voting.anonymous else row["voter"]
        if poll.voting.no_revote:
            raise VotrError(f"poll {poll_id} allows no revoting, so {name}'s ballot cannot be withdrawn")
        who.check_may_change(poll, "withdraw")
        conn.execute("DELETE FROM ballots WHERE poll_id = ? AND voter_key = ?", (poll_id, who.ballot_key))
        conn.execute("DELETE FROM turnout WHERE poll_id = ? AND voter_key = ?", (poll_id, who.key))
        said = {} if poll.voting.anonymous else {"option": ", ".join(describe(poll, row["choice"]))}
        _event(conn, poll_id, "withdrew", name, now, account, **said)
        poll = get_poll(conn, poll_id)
    hidden = poll.voting.anonymous or poll.voting.hide_results
    return Withdrawn(poll, name, "" if hidden else row["choice"])


class Participant(NamedTuple):
    voter: str
    voted_at: datetime


def participants(conn: sqlite3.Connection, poll: Poll) -> list[Participant]:
    """Who has a ballot in `poll`, the earliest first; never what they chose."""
    if poll.voting.anonymous:
        sql = "SELECT voter, voted_at FROM turnout WHERE poll_id = ? ORDER BY voted_at, voter"
    else:
        sql = "SELECT voter, cast_at FROM ballots WHERE poll_id = ? ORDER BY cast_at, voter"
    return [Participant(r[0], from_iso(r[1])) for r in conn.execute(sql, (poll.id,))]
