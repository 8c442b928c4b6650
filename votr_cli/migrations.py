"""Schema steps, applied in order; each is recorded with sqlite-utils' migrations.

Append new steps; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

steps = Migrations("votr")


@steps()
def m001_polls(db: Database) -> None:
    for sql in (
        """CREATE TABLE polls (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            closes_at TEXT NOT NULL,
            closed_at TEXT,
            closed_by TEXT,
            finalized_at TEXT,
            result TEXT
        )""",
        "CREATE INDEX polls_closes_at ON polls (closes_at)",
        """CREATE TABLE options (
            id INTEGER PRIMARY KEY,
            poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            name TEXT NOT NULL,
            UNIQUE (poll_id, number)
        )""",
        """CREATE TABLE ballots (
            id INTEGER PRIMARY KEY,
            poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
            option_id INTEGER NOT NULL REFERENCES options (id) ON DELETE CASCADE,
            voter TEXT NOT NULL,
            cast_at TEXT NOT NULL
        )""",
        # One ballot per voter per poll is the index's job, not a read-then-write.
        "CREATE UNIQUE INDEX ballots_one_per_voter ON ballots (poll_id, voter)",
        "CREATE INDEX ballots_option ON ballots (option_id)",
        # No foreign key: the log outlives the polls it speaks of.
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            poll_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            detail TEXT
        )""",
        "CREATE INDEX events_poll ON events (poll_id)",
    ):
        db.execute(sql)


@steps()
def m002_daemon(db: Database) -> None:
    db.execute(
        """CREATE TABLE daemon (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            started_at TEXT NOT NULL,
            last_beat TEXT NOT NULL,
            version TEXT NOT NULL
        )"""
    )


@steps()
def m003_hook_state(db: Database) -> None:
    # NULL: no hook to run; 'pending' from finalising until the hook succeeds
    # ('done') or runs out of tries ('failed'). Kept here, not only in the
    # queue, so a crash between finalising and the hook loses no hook.
    db.execute("ALTER TABLE polls ADD COLUMN hook_state TEXT")


@steps()
def m004_accounts(db: Database) -> None:
    """Invariant 10: ballots and events record the OS account; one ballot per voter identity."""
    from .text import identity

    db.conn.create_function("votr_identity", 1, identity, deterministic=True)
    for sql in (
        "ALTER TABLE ballots ADD COLUMN voter_key TEXT",
        "ALTER TABLE ballots ADD COLUMN account TEXT",  # NULL: cast before accounts were recorded
        "ALTER TABLE events ADD COLUMN account TEXT",
        "UPDATE ballots SET voter_key = votr_identity(voter)",
        # `Ana` and `ana` were two voters before and are one now: the latest
        # ballot stands, as a revote would have made it; the log keeps the rest.
        """INSERT INTO events (poll_id, kind, actor, at, detail)
           SELECT b.poll_id, 'merged', b.voter, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'),
                  json_object('option', o.name, 'cast_at', b.cast_at, 'reason', 'same voter as a later ballot')
           FROM ballots b JOIN options o ON o.id = b.option_id
           WHERE b.id NOT IN (SELECT id FROM (
               SELECT id, row_number() OVER (PARTITION BY poll_id, voter_key ORDER BY cast_at DESC, id DESC) AS n
               FROM ballots) WHERE n = 1)""",
        """DELETE FROM ballots WHERE id NOT IN (SELECT id FROM (
               SELECT id, row_number() OVER (PARTITION BY poll_id, voter_key ORDER BY cast_at DESC, id DESC) AS n
               FROM ballots) WHERE n = 1)""",
        "DROP INDEX ballots_one_per_voter",
        "CREATE UNIQUE INDEX ballots_one_per_voter ON ballots (poll_id, voter_key)",
    ):
        db.execute(sql)


@steps()
def m005_methods(db: Database) -> None:
    """Counting methods: a poll's rules, and a ballot as one text whose identical copies GROUP BY counts once.

    `choice` holds option numbers: `2` (single), `1,3` (approval, ascending),
    `3,1,2` (ranked, in order), `1=5,3=2` (score, zeros left out). The old
    one-option `option_id` goes; each existing ballot becomes its option's number.
    """
    for sql in (
        "ALTER TABLE polls ADD COLUMN method TEXT NOT NULL DEFAULT 'single'",
        "ALTER TABLE polls ADD COLUMN max_choices INTEGER",
        "ALTER TABLE polls ADD COLUMN max_score INTEGER",
        """CREATE TABLE ballots_new (
            id INTEGER PRIMARY KEY,
            poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
            voter TEXT NOT NULL,
            voter_key TEXT NOT NULL,
            account TEXT,
            choice TEXT NOT NULL,
            cast_at TEXT NOT NULL
        )""",
        """INSERT INTO ballots_new (id, poll_id, voter, voter_key, account, choice, cast_at)
           SELECT b.id, b.poll_id, b.voter, b.voter_key, b.account, CAST(o.number AS TEXT), b.cast_at
           FROM ballots b JOIN options o ON o.id = b.option_id""",
        "DROP TABLE ballots",
        "ALTER TABLE ballots_new RENAME TO ballots",
        "CREATE UNIQUE INDEX ballots_one_per_voter ON ballots (poll_id, voter_key)",
        # Covers the tally's query: one index range per poll, grouped as it is read.
        "CREATE INDEX ballots_choice ON ballots (poll_id, choice)",
    ):
        db.execute(sql)


@steps()
def m006_voting_rules(db: Database) -> None:
    """Who votes and what they see: a roll, a quorum, hidden results, anonymous ballots, reminders.

    Anonymous polls keep their ballots apart from their voters: a ballot's
    `voter_key` is a keyed hash (the key in `poll_keys`) while the poll is
    open, `turnout` records who took part, and finalising overwrites the
    hashes and deletes the key.
    """
    for sql in (
        "ALTER TABLE polls ADD COLUMN roll_size INTEGER",  # NULL: anyone may vote
        "ALTER TABLE polls ADD COLUMN quorum INTEGER",  # ballots needed for a result; NULL: none
        "ALTER TABLE polls ADD COLUMN quorum_percent INTEGER",  # as given, when given as N% of the roll
        "ALTER TABLE polls ADD COLUMN hide_results INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE polls ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE polls ADD COLUMN no_revote INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE polls ADD COLUMN close_when_all_voted INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE polls ADD COLUMN remind_before TEXT",  # seconds before the deadline, e.g. '3600,600'
        """CREATE TABLE roll (
            id INTEGER PRIMARY KEY,  -- the order the roll was given in
            poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
            voter TEXT NOT NULL,
            voter_key TEXT NOT NULL,
            UNIQUE (poll_id, voter_key)
        )""",
        """CREATE TABLE turnout (
            poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
            voter TEXT NOT NULL,
            voter_key TEXT NOT NULL,
            account TEXT NOT NULL,
            voted_at TEXT NOT NULL,
            PRIMARY KEY (poll_id, voter_key)
        ) WITHOUT ROWID""",
        """CREATE TABLE poll_keys (
            poll_id INTEGER PRIMARY KEY REFERENCES polls (id) ON DELETE CASCADE,
            key BLOB NOT NULL
        )""",
        # One row per reminder: `state` NULL while armed, then 'sending', 'sent' or 'failed'.
        """CREATE TABLE reminders (
            poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
            before_s INTEGER NOT NULL,
            due_at TEXT NOT NULL,
            state TEXT,
            sent_at TEXT,
            PRIMARY KEY (poll_id, before_s)
        ) WITHOUT ROWID""",
        # The daemon's start-up asks only for the armed ones.
        "CREATE INDEX reminders_armed ON reminders (due_at) WHERE state IS NULL",
    ):
        db.execute(sql)


@steps()
def m007_scale_indexes(db: Database) -> None:
    """What the daemon reads at start (polls still to finalise, hooks still to run) without a full scan."""
    db.execute("CREATE INDEX polls_awaiting ON polls (coalesce(closed_at, closes_at), id) WHERE finalized_at IS NULL")
    db.execute("CREATE INDEX polls_hooks ON polls (closed_at) WHERE hook_state IN ('pending', 'interrupted')")


def migrate(conn: sqlite3.Connection) -> None:
    """Apply every pending step inside the caller's transaction."""
    steps.apply(Database(conn, recursive_triggers=False, execute_plugins=False))
