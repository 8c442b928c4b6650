"""Ballots out of a poll (export) and into one (import, all or nothing).

No click, no rich. The CSV is DESIGN.md's: a header row, then one row per
ballot, `voter`, `cast_at`, `choice_1`, ... (single: one option; approval:
the approved ones; ranked: in order of preference; score: `NAME=N`), UTF-8
with RFC 4180 quoting. Import reads that CSV, or the JSON export writes.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

from .ballots import describe, parse_ballot
from .errors import VotrError
from .polls import Clock, Poll, PollClosed, check_creator, closed_message, get_poll
from .store import transaction
from .text import identity
from .timefmt import from_iso, to_iso
from .voting import clean_voter, voter_hash

MAX_IMPORT = 1_000_000
MAX_FILE = 256 * 2**20  # bytes: a million ballots with room to spare


class Ballot(NamedTuple):
    voter: str | None  # None on an anonymous poll
    cast_at: datetime | None  # None on an anonymous poll
    choices: list[str]  # option names in the ballot's order; score: NAME=N


def ballots_of(conn: sqlite3.Connection, poll: Poll) -> Iterator[Ballot]:
    """Every ballot of `poll`, the earliest first (an anonymous poll's in the file's random order)."""
    order = "id" if poll.voting.anonymous else "cast_at, id"
    cursor = conn.execute(f"SELECT voter, cast_at, choice FROM ballots WHERE poll_id = ? ORDER BY {order}", (poll.id,))
    # A score ballot rating everything 0 is stored empty; written out as such it could not be read back.
    zero = [f"{poll.options[0].name}=0"] if poll.method == "score" else []
    for voter, cast_at, choice in cursor:
        choices = describe(poll, choice) or zero
        if poll.voting.anonymous:
            yield Ballot(None, None, choices)
        else:
            yield Ballot(voter, from_iso(cast_at), choices)


def csv_header(poll: Poll) -> list[str]:
    width = 1 if poll.method == "single" else len(poll.options)
    return ["voter", "cast_at", *(f"choice_{i}" for i in range(1, width + 1))]


def csv_row(ballot: Ballot, width: int) -> list[str]:
    cells = [ballot.voter or "", to_iso(ballot.cast_at) if ballot.cast_at else "", *ballot.choices]
    return cells + [""] * (width - len(cells))


def ballot_json(ballot: Ballot) -> dict:
    return {
        "voter": ballot.voter,
        "cast_at": to_iso(ballot.cast_at) if ballot.cast_at else None,
        "choices": ballot.choices,
    }


class Incoming(NamedTuple):
    where: str  # 'row 3', 'ballot 2': how the error names it
    voter: str
    cast_at: str
    choices: list[str]


def read_csv(text: str) -> list[Incoming]:
    """Ballots from the export's CSV; the header is row 1, so the first ballot is row 2."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise VotrError("the file is empty: expected a header row `voter,cast_at,choice_1,...`")
        names = [h.strip().lower() for h in header]
        if names[:2] != ["voter", "cast_at"] or not all(n.startswith("choice_") for n in names[2:]) or len(names) < 3:
            raise VotrError(f"row 1 is not the header `voter,cast_at,choice_1,...`: {','.join(header)[:80]!r}")
        rows = []
        for n, cells in enumerate(reader, 2):
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                raise VotrError(f"row {n}: {len(cells)} cells, but the header names {len(header)}")
            cells = cells[: len(header)]
            cells += [""] * (len(header) - len(cells))
            rows.append(Incoming(f"row {n}", cells[0], cells[1], [c for c in cells[2:] if c.strip()]))
            if len(rows) > MAX_IMPORT:
                raise VotrError(f"more than {MAX_IMPORT:,} ballots in one import")
    except csv.Error as exc:
        raise VotrError(f"row {reader.line_num}: not valid CSV ({exc})") from None
    return rows


def read_json(text: str) -> list[Incoming]:
    """Ballots from `votr export --format json` (its `ballots`), or a bare list of them."""
    import json

    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise VotrError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise VotrError("not a list of ballots: its JSON is nested too deep") from None
    items = doc.get("ballots") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise VotrError('expected a JSON list of ballots, or an object with "ballots": [...]')
    rows = []
    for n, item in enumerate(items, 1):
        where = f"ballot {n}"
        if not isinstance(item, dict) or not isinstance(item.get("choices"), list):
            raise VotrError(f'{where}: expected {{"voter": ..., "cast_at": ..., "choices": [...]}}')
        voter, cast_at = item.get("voter"), item.get("cast_at")
        if (
            not isinstance(voter, str | None)
            or not isinstance(cast_at, str | None)
            or not all(isinstance(c, str) for c in item["choices"])
        ):
            raise VotrError(f"{where}: voter and cast_at must be text or null, and each choice text")
        voter, cast_at = voter or "", cast_at or ""
        rows.append(Incoming(where, voter, cast_at, list(item["choices"])))
    if len(rows) > MAX_IMPORT:
        raise VotrError(f"more than {MAX_IMPORT:,} ballots in one import")
    return rows


def _cast_at(row: Incoming, now: datetime) -> datetime:
    """When the ballot was cast, as the file says (paper or another tool's, so before this poll, too)."""
    if not row.cast_at.strip():
        return now
    try:
        when = from_iso(row.cast_at.strip())
    except (ValueError, OverflowError):
        raise VotrError(
            f"{row.where}: cast_at {row.cast_at!r} is not an ISO 8601 time with its zone, e.g. 2026-11-24T15:00:00Z"
        ) from None
    if when > now:
        raise VotrError(f"{row.where}: cast_at {row.cast_at!r} is in the future")
    return when


def import_ballots(
    conn: sqlite3.Connection, poll_id: int, rows: Sequence[Incoming], clock: Clock, account: str
) -> tuple[Poll, int, bool]:
    """Store every ballot of `rows` in one transaction, or none; returns the poll, the count, and whether it closed.

    Only the poll's creator imports (every ballot is under someone else's
    name). A row without a voter becomes `ballot-1`, `ballot-2`, ...; a voter
    who already has a ballot, appears twice, or is off the roll is an error.
    """
    if not rows:
        raise VotrError("the file holds no ballots")
    with transaction(conn):
        now = clock()
        poll = get_poll(conn, poll_id)
        check_creator(poll, account, "import ballots")
        if not poll.is_open(now):
            raise PollClosed(closed_message(poll, now))
        rules = poll.voting
        roll: dict[str, str] | None = None
        if rules.roll_size is not None:
            roll = dict(conn.execute("SELECT voter_key, voter FROM roll WHERE poll_id = ?", (poll_id,)).fetchall())
        table = "turnout" if rules.anonymous else "ballots"
        taken = {k for (k,) in conn.execute(f"SELECT voter_key FROM {table} WHERE poll_id = ?", (poll_id,))}
        # Numbered on from the highest ballot-N in the poll or in the file, so a name never repeats.
        named = [r.voter.strip() for r in rows]
        unnamed = max([_next_unnamed(conn, poll_id, table)] + [int(v[7:]) for v in named if _is_unnamed(v)])
        seen: dict[str, str] = {}
        ready = []
        for row in rows:
            if row.voter.strip():
                try:
                    voter = clean_voter(row.voter)
                except VotrError as exc:
                    raise VotrError(f"{row.where}: {exc}") from None
            else:
                unnamed += 1
                voter = f"ballot-{unnamed}"
            key = identity(voter)
            if key in seen:
                raise VotrError(f"{row.where}: {voter} has a ballot in this file already ({seen[key]})")
            seen[key] = row.where
            if roll is not None:
                if key not in roll:
                    raise VotrError(f"{row.where}: {voter} is not on the voter roll of poll {poll_id}")
                voter = roll[key]
            if key in taken:
                raise VotrError(f"{row.where}: {voter} has a ballot in poll {poll_id} already")
            try:
                ballot = parse_ballot(poll, row.choices)
            except VotrError as exc:
                raise VotrError(f"{row.where}: {exc}") from None
            ready.append((voter, key, ballot, _cast_at(row, now)))
        _store(conn, poll, ready, account, now)
        closed = False
        if rules.close_when_all_voted and rules.roll_size is not None:
            cast = conn.execute("SELECT count(*) FROM ballots WHERE poll_id = ?", (poll_id,)).fetchone()[0]
            if cast >= rules.roll_size:
                from .lifecycle import close_now

                close_now(conn, poll_id, account, now, reason="everyone on the roll has voted")
                closed = True
        return get_poll(conn, poll_id), len(ready), closed


def _is_unnamed(voter: str) -> bool:
    return voter.startswith("ballot-") and voter[7:].isascii() and voter[7:].isdigit()


def _next_unnamed(conn: sqlite3.Connection, poll_id: int, table: str) -> int:
    """The highest N of the `ballot-N` voters already in the poll, so a second import numbers on."""
    rows = conn.execute(f"SELECT voter FROM {table} WHERE poll_id = ? AND voter GLOB 'ballot-[0-9]*'", (poll_id,))
    numbers = [int(v[7:]) for (v,) in rows if v[7:].isdigit()]
    return max(numbers, default=0)


def _store(
    conn: sqlite3.Connection, poll: Poll, ready: list[tuple[str, str, str, datetime]], account: str, now: datetime
) -> None:
    at = to_iso(now)
    if poll.voting.anonymous:
        found = conn.execute("SELECT key FROM poll_keys WHERE poll_id = ?", (poll.id,)).fetchone()
        secret = found[0] if found else os.urandom(32)
        if found is None:
            conn.execute("INSERT INTO poll_keys (poll_id, key) VALUES (?, ?)", (poll.id, secret))
        conn.executemany(
            """INSERT INTO ballots (id, poll_id, voter, voter_key, account, choice, cast_at)
               VALUES (?, ?, '', ?, NULL, ?, '')""",
            [(int.from_bytes(os.urandom(8)) >> 1, poll.id, voter_hash(secret, key), b) for _, key, b, _ in ready],
        )
        conn.executemany(
            "INSERT INTO turnout (poll_id, voter, voter_key, account, voted_at) VALUES (?, ?, ?, ?, ?)",
            [(poll.id, voter, key, account, at) for voter, key, _, _ in ready],
        )
        conn.executemany(
            """INSERT INTO events (poll_id, kind, actor, account, at, detail)
               VALUES (?, 'voted', ?, ?, ?, json_object('imported', json('true')))""",
            [(poll.id, voter, account, at) for voter, _, _, _ in ready],
        )
        return
    conn.executemany(
        "INSERT INTO ballots (poll_id, voter, voter_key, account, choice, cast_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(poll.id, voter, key, account, b, to_iso(when)) for voter, key, b, when in ready],
    )
    conn.executemany(
        """INSERT INTO events (poll_id, kind, actor, account, at, detail)
           VALUES (?, 'voted', ?, ?, ?, json_object('option', ?, 'imported', json('true')))""",
        [(poll.id, voter, account, at, ", ".join(describe(poll, b))) for voter, _, b, _ in ready],
    )
