"""Who votes and what they see: a poll's roll, quorum, hidden results, anonymity, revoting, reminders.

No click, no rich (DESIGN.md, "Who votes, and what they see"). The rules are
checked here when a poll is made; `ballots` enforces them on every ballot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import NamedTuple

from .errors import VotrError
from .text import clean_name, identity

MAX_VOTER = 64
MAX_ROLL = 100_000
MAX_ROLL_FILE = 16 * 2**20  # bytes: a roll of 100,000 names with room for comments
MAX_REMINDERS = 10
MAX_QUORUM = 1_000_000_000


class Voting(NamedTuple):
    """A poll's rules beyond its counting method, as stored."""

    roll_size: int | None = None  # None: anyone may vote
    quorum: int | None = None  # ballots needed for a result
    quorum_percent: int | None = None  # as given, when the quorum is a share of the roll
    hide_results: bool = False
    anonymous: bool = False
    no_revote: bool = False
    close_when_all_voted: bool = False
    remind_before: tuple[int, ...] = ()  # seconds before the deadline, the earliest reminder first

    def rules_json(self) -> dict:
        return {
            "hide_results": self.hide_results,
            "anonymous": self.anonymous,
            "no_revote": self.no_revote,
            "close_when_all_voted": self.close_when_all_voted,
            "remind_before": list(self.remind_before),
        }

    def quorum_json(self, ballots: int) -> dict | None:
        if self.quorum is None:
            return None
        return {"needed": self.quorum, "percent": self.quorum_percent, "reached": ballots >= self.quorum}

    def roll_json(self, ballots: int) -> dict | None:
        # Every ballot is on the roll (others are refused), so the ballots are the roll's turnout.
        return None if self.roll_size is None else {"size": self.roll_size, "voted": ballots}

    def words(self) -> list[str]:
        """The rules in a few words each, for `show`'s header: 'roll of 8', 'quorum 5 (60%)', 'anonymous'."""
        from .outcome import plural
        from .timefmt import describe_span

        said = []
        if self.roll_size is not None:
            said.append(f"roll of {self.roll_size}")
        if self.quorum is not None:
            share = f" ({self.quorum_percent}%)" if self.quorum_percent is not None else ""
            said.append(f"quorum {plural(self.quorum, 'ballot')}{share}")
        if self.hide_results:
            said.append("results hidden until it closes")
        if self.anonymous:
            said.append("anonymous")
        if self.no_revote:
            said.append("no revoting")
        if self.close_when_all_voted:
            said.append("closes when everyone on the roll has voted")
        if self.remind_before:
            spans = ", ".join(describe_span(timedelta(seconds=s)) for s in self.remind_before)
            said.append(f"reminders {spans} before the deadline")
        return said


OPEN = Voting()


def clean_voter(voter: str, what: str = "the voter name") -> str:
    voter = clean_name(voter, what)
    if not voter:
        raise VotrError(f"{what} is empty")
    if len(voter) > MAX_VOTER:
        raise VotrError(f"{what} is {len(voter)} characters long; at most {MAX_VOTER} are allowed")
    return voter


def split_roll(text: str) -> list[tuple[str, str]]:
    """`--voters alice,bob`: (where, name) pairs; an empty entry is kept, to be refused by name."""
    return [(f"entry {i} of --voters", name) for i, name in enumerate(text.split(","), 1)]


def read_roll_file(path: str) -> list[tuple[str, str]]:
    """One name a line; `#` starts a comment; blank lines are skipped. `-` is standard input."""
    import sys

    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                data = f.read(MAX_ROLL_FILE + 1)
    except FileNotFoundError:
        raise VotrError(f"cannot read the voters file {path!r}: it does not exist") from None
    except IsADirectoryError:
        raise VotrError(f"cannot read the voters file {path!r}: it is a folder") from None
    except OSError as exc:
        raise VotrError(f"cannot read the voters file {path!r}: {exc.strerror or exc}") from None
    if len(data) > MAX_ROLL_FILE:
        raise VotrError(f"the voters file {path!r} is larger than {MAX_ROLL_FILE // 2**20} MB: no roll is that long")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise VotrError(f"the voters file {path!r} is not UTF-8 text (byte {exc.start + 1})") from None
    names = []
    for n, line in enumerate(text.splitlines(), 1):
        name = line.split("#", 1)[0].strip()
        if name:
            names.append((f"line {n} of {path}", name))
    return names


def check_roll(entries: Sequence[tuple[str, str]]) -> list[str]:
    """The roll as stored: every name a clean voter name, no name twice (as voter identities compare)."""
    if len(entries) > MAX_ROLL:
        raise VotrError(f"a roll takes at most {MAX_ROLL:,} voters, not {len(entries):,}")
    seen: dict[str, str] = {}
    names = []
    for where, raw in entries:
        if not raw.strip():
            raise VotrError(f"the voter roll has an empty name ({where})")
        shown = raw.strip() if len(raw.strip()) <= 40 else raw.strip()[:40] + "..."
        name = clean_voter(raw, f"the voter name {shown!r} ({where})")
        key = identity(name)
        if key in seen:
            raise VotrError(f"{name!r} is on the voter roll twice ({where}; also as {seen[key]!r})")
        seen[key] = name
        names.append(name)
    if len(names) < 2:
        raise VotrError(f"a voter roll needs at least 2 voters, not {len(names)}: without --voters anyone may vote")
    return names


def parse_quorum(text: str, roll_size: int | None) -> tuple[int, int | None]:
    """`5` or `60%` (of the roll): (ballots needed, the percentage given or None)."""
    raw = text.strip()
    percent = raw.endswith("%")
    number = raw[:-1].strip() if percent else raw
    if not (number.isascii() and number.isdigit()) or len(number) > 12:
        raise VotrError(f"--quorum takes a number of ballots (5) or a share of the roll (60%), not {text[:20]!r}")
    value = int(number)
    if percent:
        if roll_size is None:
            raise VotrError(f"--quorum {raw} is a share of the voter roll: give one with --voters or --voters-file")
        if not 1 <= value <= 100:
            raise VotrError(f"--quorum {raw}: a share of the roll is from 1% to 100%")
        # The smallest number of ballots that is at least that share (integer arithmetic: no 0.1 + 0.2 surprises).
        return max(1, -(-value * roll_size // 100)), value
    if value < 1:
        raise VotrError("--quorum must be at least 1 ballot")
    if value > MAX_QUORUM:
        raise VotrError(f"--quorum {raw[:20]} is more ballots than any poll will hold (at most {MAX_QUORUM:,})")
    if roll_size is not None and value > roll_size:
        raise VotrError(f"--quorum {value} is more than the {roll_size} voters on the roll")
    return value, None


def check_voting(
    roll: Sequence[str] | None,
    quorum: str | None,
    hide_results: bool,
    anonymous: bool,
    no_revote: bool,
    close_when_all_voted: bool,
    remind_before: Iterable[timedelta],
    open_for: timedelta,
) -> Voting:
    """The rules as stored, or the reason they are refused; `open_for` is how long the poll will take votes."""
    roll_size = len(roll) if roll is not None else None
    needed, percent = parse_quorum(quorum, roll_size) if quorum is not None else (None, None)
    if close_when_all_voted and roll_size is None:
        raise VotrError("--close-when-all-voted needs a voter roll (--voters or --voters-file)")
    from .timefmt import describe_span

    seconds: set[int] = set()
    for span in remind_before:
        if span >= open_for:
            raise VotrError(
                f"--remind-before {describe_span(span)} is not shorter than the time the poll is open "
                f"({describe_span(open_for)}): it would come before the poll exists"
            )
        if span < timedelta(seconds=1):
            raise VotrError("--remind-before takes a duration of at least 1 second")
        seconds.add(round(span.total_seconds()))
    if len(seconds) > MAX_REMINDERS:
        raise VotrError(f"a poll takes at most {MAX_REMINDERS} reminders, not {len(seconds)}")
    return Voting(
        roll_size=roll_size,
        quorum=needed,
        quorum_percent=percent,
        hide_results=hide_results,
        anonymous=anonymous,
        no_revote=no_revote,
        close_when_all_voted=close_when_all_voted,
        remind_before=tuple(sorted(seconds, reverse=True)),
    )


def voter_hash(key: bytes, identity_key: str) -> str:
    """What an anonymous poll's ballot holds instead of its voter: a keyed hash of the voter's identity.

    BLAKE2b in keyed mode is a MAC (RFC 7693): without the key, the name cannot
    be read back, nor guessed and checked. `_blake2` directly: `hashlib`
    would cost `votr vote` 4 ms of start-up for the same function.
    """
    try:
        from _blake2 import blake2b
    except ImportError:  # a Python built without it
        from hashlib import blake2b
    return blake2b(identity_key.encode(), key=key, digest_size=16).hexdigest()
