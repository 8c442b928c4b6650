"""Every refused input: one `Error:` line on stderr, the right exit status, the store unchanged."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from .conftest import make_poll, ok, run, store_digest

TWO = ["-o", "Pizza", "-o", "Sushi"]


def refused(home: Path, args: list[str], message: str, status: int = 1) -> str:
    before = store_digest(home)
    result = run(*args)
    assert result.exit_code == status, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert message in lines[0], lines[0]
    assert store_digest(home) == before
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "", *TWO], "the title is empty"),
        (["create", "   ", *TWO], "the title is empty"),
        (["create", "x" * 201, *TWO], "the title is 201 characters long; at most 200"),
        (["create", "Q", "-o", "Pizza"], "at least 2 options (got 1)"),
        (["create", "Q", "-o", "Pizza", "-o", ""], "option 2 is empty"),
        (["create", "Q", "-o", "  ", "-o", "Pizza"], "option 1 is empty"),
        (["create", "Q", "-o", "Pizza", "-o", "pizza "], "'pizza' is given twice (as 'Pizza' too)"),
        (["create", "Q", *[a for i in range(27) for a in ("-o", f"opt{i}")]], "at most 26 options (got 27)"),
        (["create", "Q", *TWO, "--closes-in", "0"], "can't read duration '0': use e.g. 90s"),
        (["create", "\udcff", *TWO], "the title '\\xff' is not valid UTF-8 text"),
        (["create", "Q", "-o", "ok", "-o", "\udcfe"], "option '\\xfe' is not valid UTF-8 text"),
        (["create", "Q", *TWO, "--closes-in", "0s"], "duration '0s' is not positive"),
        (["create", "Q", *TWO, "--closes-in", "-5m"], "duration '-5m' is not positive"),
        (["create", "Q", *TWO, "--closes-in", "0.0001s"], "duration '0.0001s' is less than a second"),
        (["create", "Q", *TWO, "--closes-in", "banana"], "can't read duration 'banana'"),
        (["create", "Q", *TWO, "--closes-in", "99999d"], "duration '99999d' is more than a year"),
        (["create", "Q", *TWO, "--closes-in", "366d"], "more than a year: a deadline can be at most 365 days ahead"),
        (["create", "Q", *TWO, "--closes-at", "2020-01-01 10:00"], "in the past"),
        (["create", "Q", *TWO, "--closes-at", "not a date"], "can't read date 'not a date'"),
    ],
)
def test_create_refuses(home: Path, args: list[str], message: str) -> None:
    make_poll()  # so "unchanged" is checked against a store with data in it
    refused(home, args, message)


def test_create_with_both_deadlines_is_a_usage_error(home: Path) -> None:
    refused(home, ["create", "Q", *TWO, "--closes-in", "1h", "--closes-at", "18:00"], "exclude each other", 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "99"], "no poll 99"),
        (["show", "abc"], "'abc' is not a poll number"),
        (["show", "-1"], "'-1' is not a poll or option number: they start at 1"),
        (["vote", "1", "-1"], "'-1' is not a poll or option number: they start at 1"),
        (["show", "99999999999999999999999"], "'99999999999999999999999' is not a poll number"),
        (["vote", "1", "Pizza", "--voter", "\udcff"], "the voter name '\\xff' is not valid UTF-8 text"),
        (["vote", "1", "\udcfe"], "choice '\\xfe' is not valid UTF-8 text"),
        (["show", "0"], "'0' is not a poll number"),
        (["vote", "99", "Pizza"], "no poll 99"),
        (["vote", "abc", "Pizza"], "'abc' is not a poll number"),
        (["vote", "1", "Pasta"], "poll 1 has no option 'Pasta': choose one of 1 Pizza, 2 Sushi"),
        (["vote", "1", "0"], "poll 1 has no option 0: choose 1 to 2"),
        (["vote", "1", "3"], "poll 1 has no option 3: choose 1 to 2"),
        (["vote", "1", "Pizza", "--voter", " "], "the voter name is empty"),
        (["close", "99"], "no poll 99"),
        (["delete", "99", "--yes"], "no poll 99"),
        (["extend", "99", "--by", "1h"], "no poll 99"),
        (["extend", "1", "--to", "2020-01-01 10:00"], "'2020-01-01 10:00': Jan 1 2020 10:00 "),
        (["extend", "1", "--to", "2020-01-01 10:00"], " is in the past; it is now "),
        (["extend", "1", "--by", "-5m"], "duration '-5m' is not positive"),
        (["extend", "1", "--by", "0.5s"], "duration '0.5s' is less than a second"),
        (["extend", "1", "--by", "3000000d"], "duration '3000000d' is more than a year"),
        (["extend", "1", "--by", "99999999999d"], "duration '99999999999d' is too large"),
        (["extend", "1", "--by", "banana"], "can't read duration 'banana'"),
    ],
)
def test_poll_commands_refuse(home: Path, args: list[str], message: str) -> None:
    make_poll()
    refused(home, args, message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["extend", "1"], "give one of --by DURATION or --to WHEN"),
        (["extend", "1", "--by", "1h", "--to", "18:00"], "give one of --by DURATION or --to WHEN"),
        (["list", "--all", "--closed"], "exclude each other"),
        (["show"], "Missing argument 'POLL'"),
        (["show", "1", "--jsn"], "No such option '--jsn'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["--home", "", "list"], "--home is empty: give a folder"),
    ],
)
def test_usage_errors_exit_2(home: Path, args: list[str], message: str) -> None:
    make_poll()
    refused(home, args, message, 2)


def test_vote_on_a_closed_poll(home: Path) -> None:
    pid = make_poll()
    ok("close", str(pid))
    refused(home, ["vote", str(pid), "Pizza"], f"poll {pid} closed just now; it takes no more votes")
    refused(home, ["close", str(pid)], f"poll {pid} is already closed")


def test_home_on_a_file(tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("hello")
    refused(tmp_path / "unused", ["--home", str(target), "list"], f"home '{target}' is not a folder")
    assert target.read_text() == "hello"


def test_home_holding_a_foreign_database(tmp_path: Path) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    conn = sqlite3.connect(folder / "votr.db")
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('soup')")
    conn.commit()
    conn.close()
    refused(folder, ["--home", str(folder), "list"], "is not a votr database")
    refused(folder, ["--home", str(folder), "create", "Q", *TWO], "is not a votr database")
    conn = sqlite3.connect(folder / "votr.db")
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("recipes",)]


def test_home_holding_a_corrupt_database(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "votr.db").write_bytes(b"this is not sqlite at all" * 100)
    refused(folder, ["--home", str(folder), "list"], "is not a usable votr database (file is not a database)")
    assert (folder / "votr.db").read_bytes() == b"this is not sqlite at all" * 100


def test_home_with_damaged_pages(home: Path) -> None:
    make_poll()
    db = home / "votr.db"
    ok("list")  # checkpointing is SQLite's business; make sure the pages are in the main file
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(page, len(data)):  # keep the header page, scramble the rest
        data[offset] = (data[offset] * 7 + 13) % 256
    db.write_bytes(bytes(data))
    damaged = db.read_bytes()
    result = run("show", "1")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    assert db.read_bytes() == damaged


def test_a_typo_in_a_poll_number_creates_no_store(home: Path) -> None:
    for args in (["show", "abc"], ["close", "abc"], ["vote", "abc", "x"], ["extend", "abc", "--by", "1h"]):
        assert run(*args).exit_code == 1
    assert not home.exists()


def test_error_messages_carry_no_escape_sequences(home: Path) -> None:
    make_poll("red", "blue")
    conn = sqlite3.connect(home / "votr.db")
    with conn:  # as an older votr may have stored it
        conn.execute("UPDATE options SET name = ? WHERE name = 'red'", ("\x1b[31mred",))
    conn.close()
    line = refused(home, ["vote", "1", "green"], "poll 1 has no option 'green'")
    assert "\x1b" not in line and "\\x1b[31mred" in line


def test_daemon_log_file_in_a_missing_folder(home: Path, tmp_path: Path) -> None:
    refused(home, ["daemon", "--log-file", str(tmp_path / "nope" / "x.log")], "cannot write the log file")


def test_newer_schema_is_refused(home: Path) -> None:
    make_poll()
    conn = sqlite3.connect(home / "votr.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    refused(home, ["list"], "was written by a newer votr (schema 99, this votr knows 7); upgrade votr")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere; test_installed covers it as another user")
def test_home_unwritable(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    refused(folder, ["--home", str(folder), "list"], "cannot write to home folder")
