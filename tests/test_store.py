"""The store's files, schema and migrations, opened as the commands open them."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from pathlib import Path

from votr_cli import store
from votr_cli.migrations import steps

from .conftest import make_poll, ok, ok_json, run

EXPECTED_SCHEMA = [
    ("index", "ballots_choice", "CREATE INDEX ballots_choice ON ballots (poll_id, choice)"),
    ("index", "ballots_one_per_voter", "CREATE UNIQUE INDEX ballots_one_per_voter ON ballots (poll_id, voter_key)"),
    ("index", "events_poll", "CREATE INDEX events_poll ON events (poll_id)"),
    (
        "index",
        "idx__sqlite_migrations_migration_set_name",
        'CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"\n'
        '    ON "_sqlite_migrations" ("migration_set", "name")',
    ),
    (
        "index",
        "polls_awaiting",
        "CREATE INDEX polls_awaiting ON polls (coalesce(closed_at, closes_at), id) WHERE finalized_at IS NULL",
    ),
    ("index", "polls_closes_at", "CREATE INDEX polls_closes_at ON polls (closes_at)"),
    (
        "index",
        "polls_hooks",
        "CREATE INDEX polls_hooks ON polls (closed_at) WHERE hook_state IN ('pending', 'interrupted')",
    ),
    ("index", "reminders_armed", "CREATE INDEX reminders_armed ON reminders (due_at) WHERE state IS NULL"),
]
TABLES = [
    "_sqlite_migrations",
    "ballots",
    "daemon",
    "events",
    "options",
    "poll_keys",
    "polls",
    "reminders",
    "roll",
    "turnout",
]


def test_a_blank_home_migrates_to_the_pinned_schema(home: Path) -> None:
    conn = store.connect(home)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == store.APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    assert tables == TABLES
    indexes = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL ORDER BY name"
    ).fetchall()
    assert [tuple(r) for r in indexes] == EXPECTED_SCHEMA
    columns = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in TABLES[1:]}
    assert columns == {
        "ballots": ["id", "poll_id", "voter", "voter_key", "account", "choice", "cast_at"],
        "daemon": ["id", "pid", "host", "started_at", "last_beat", "version"],
        "events": ["id", "poll_id", "kind", "actor", "at", "detail", "account"],
        "options": ["id", "poll_id", "number", "name"],
        "polls": [
            "id",
            "title",
            "created_at",
            "created_by",
            "closes_at",
            "closed_at",
            "closed_by",
            "finalized_at",
            "result",
            "hook_state",
            "method",
            "max_choices",
            "max_score",
            "roll_size",
            "quorum",
            "quorum_percent",
            "hide_results",
            "anonymous",
            "no_revote",
            "close_when_all_voted",
            "remind_before",
        ],
        "poll_keys": ["poll_id", "key"],
        "reminders": ["poll_id", "before_s", "due_at", "state", "sent_at"],
        "roll": ["id", "poll_id", "voter", "voter_key"],
        "turnout": ["poll_id", "voter", "voter_key", "account", "voted_at"],
    }
    applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert applied == [m.name for m in steps._migrations]


def test_an_older_schema_is_migrated_and_keeps_its_polls(home: Path) -> None:
    pid = make_poll()
    ok("vote", str(pid), "pizza", "--voter", "ana")
    conn = sqlite3.connect(home / "votr.db")
    # Undo m002 and m003 as a votr of schema 1 would have left the file.
    conn.execute("DROP TABLE daemon")
    conn.execute("DROP INDEX polls_hooks")  # m007's, on the column m003 added
    conn.execute("DROP INDEX polls_awaiting")
    conn.execute("ALTER TABLE polls DROP COLUMN hook_state")
    conn.execute(
        "DELETE FROM _sqlite_migrations WHERE name IN ('m002_daemon', 'm003_hook_state', 'm007_scale_indexes')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    assert ok_json("show", str(pid))["total_votes"] == 1
    conn = sqlite3.connect(home / "votr.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM daemon").fetchone()[0] == 0


def test_ballots_are_unique_per_voter_in_the_schema_itself(home: Path) -> None:
    pid = make_poll()
    ok("vote", str(pid), "pizza", "--voter", "ana")
    conn = sqlite3.connect(home / "votr.db")
    try:
        conn.execute(
            "INSERT INTO ballots (poll_id, voter, voter_key, choice, cast_at) VALUES (?, 'Ana', 'ana', '1', 'x')",
            (pid,),
        )
    except sqlite3.IntegrityError as exc:
        assert "UNIQUE" in str(exc)
    else:
        raise AssertionError("a second ballot for the same voter was stored")


def test_files_are_private_by_default(home: Path) -> None:
    old = os.umask(0o022)
    try:
        make_poll()
    finally:
        os.umask(old)
    for name in ("votr.db", "votr.db-wal", "votr.db-shm"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name


def test_files_are_group_shared_in_a_setgid_home(home: Path) -> None:
    home.mkdir()
    os.chmod(home, 0o2770)
    old = os.umask(0o077)  # even a strict umask must not hide polls from the group meant to share them
    try:
        make_poll()
    finally:
        os.umask(old)
    for name in ("votr.db", "votr.db-wal", "votr.db-shm"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o660, name


def test_a_deadline_closes_the_poll_with_no_daemon() -> None:
    created = ok_json("create", "Quick?", "-o", "yes", "-o", "no", "--closes-in", "1.5s")
    pid = str(created["id"])
    ok("vote", pid, "yes", "--voter", "early")
    from votr_cli.timefmt import from_iso

    deadline = from_iso(created["closes_at"]).timestamp()
    while time.time() <= deadline:  # real time must pass the deadline; nothing else to wait for
        time.sleep(0.05)
    late = run("vote", pid, "no", "--voter", "late")
    assert late.exit_code == 1 and "closed" in late.stderr and "no more votes" in late.stderr
    shown = ok_json("show", pid)
    assert shown["status"] == "closed"
    assert shown["closed_at"] == shown["closes_at"]
    assert shown["finalized_at"] is None
    assert shown["total_votes"] == 1
    assert [p["id"] for p in ok_json("list", "--closed")["polls"]] == [int(pid)]
    assert ok_json("list")["polls"] == []
