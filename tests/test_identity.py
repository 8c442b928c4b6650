"""Issue 7, item 3: a ballot belongs to an account, and a name is one identity (DESIGN.md invariant 10)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import unicodedata
from pathlib import Path

import pytest

from votr_cli.accounts import current

from .conftest import Accounts, make_poll, ok, ok_json, old_store, run, store_digest, subprocess_env, votr_exe

NFC_JOSE = unicodedata.normalize("NFC", "josé")
NFD_JOSE = unicodedata.normalize("NFD", "josé")


def events(home: Path, pid: int) -> list[tuple[str, str, str | None]]:
    conn = sqlite3.connect(home / "votr.db")
    try:
        return conn.execute("SELECT kind, actor, account FROM events WHERE poll_id = ? ORDER BY id", (pid,)).fetchall()
    finally:
        conn.close()


def refused(home: Path, args: list[str], message: str) -> None:
    before = store_digest(home)
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1, result.stderr
    assert message in result.stderr, result.stderr
    assert store_digest(home) == before


def test_spelling_case_width_and_normal_form_are_one_voter(home: Path) -> None:
    pid = make_poll()
    for name in ("ana", "Ana", "ＡＮＡ", "ANA"):
        ok("vote", str(pid), "pizza", "--voter", name)
    ok("vote", str(pid), "sushi", "--voter", NFC_JOSE)
    changed = ok_json("vote", str(pid), "pizza", "--voter", NFD_JOSE)
    assert changed["previous"] == ["Sushi"] and changed["voter"] == NFC_JOSE
    poll = ok_json("show", str(pid))
    assert poll["total_votes"] == 2 and [o["votes"] for o in poll["options"]] == [2, 0]
    assert ok_json("vote", str(pid), "pizza", "--voter", "ANA")["voter"] == "ana"  # the name as first cast


@pytest.mark.parametrize(
    "name", ["ana\u200b", "\u202eana", "an\u00ada", "ana\x1b[2J", "ana\nbob", "\ufeffana", "a\u2028na"]
)
def test_names_with_invisible_or_control_characters_are_refused(home: Path, name: str) -> None:
    pid = make_poll()
    refused(home, ["vote", str(pid), "pizza", "--voter", name], "the voter name holds the invisible or control")


def test_options_are_one_under_the_same_rules_and_refused_when_invisible(home: Path) -> None:
    make_poll()
    refused(home, ["create", "Q", "-o", "Café", "-o", "Cafe\u0301"], "is given twice")
    refused(home, ["create", "Q", "-o", "Pizza", "-o", "ＰＩＺＺＡ"], "is given twice")
    refused(home, ["create", "Q", "-o", "Pizza", "-o", "Pizza\u200b"], "option holds the invisible or control")
    pid = make_poll("Café", "Tea")
    assert ok_json("vote", str(pid), "CAFE\u0301")["choice"] == "Café"


def test_titles_may_break_lines_but_hold_nothing_else_invisible(home: Path) -> None:
    refused(home, ["create", "Lunch?\u202e", "-o", "a", "-o", "b"], "the title holds the invisible or control")
    refused(home, ["create", "Lunch?\x9b31m", "-o", "a", "-o", "b"], "U+009B")
    pid = make_poll(title="Lunch on Friday?\nThe usual place, or the new one.")
    assert "Poll 1: Lunch on Friday?\nThe usual place, or the new one." in ok("show", str(pid)).stdout
    listed = [line for line in ok("list").stdout.splitlines() if line.startswith("1 ")]
    assert len(listed) == 1 and "Lunch on Friday?\\nThe usual place" in listed[0]


def test_the_account_comes_from_the_uid_not_from_the_environment(home: Path) -> None:
    pid = make_poll()
    me = current()
    spoofed = subprocess.run(
        [votr_exe(), "vote", str(pid), "pizza", "--json"],
        env=subprocess_env(home, LOGNAME="mallory", USER="mallory", LNAME="mallory", USERNAME="mallory"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert spoofed.returncode == 0, spoofed.stderr
    assert json.loads(spoofed.stdout)["voter"] == me
    assert events(home, pid)[-1] == ("voted", me, me)


def test_a_database_from_before_merges_names_that_are_now_one_voter(home: Path) -> None:
    conn = old_store(home, "m004_accounts")  # schema 3: no voter_key, no accounts, uniqueness on the raw name
    rows = [("keep", 1, "2026-01-01T08:00:00+00:00"), ("ana", 1, "2026-01-01T10:00:00+00:00"),
            ("Ana", 2, "2026-01-01T11:00:00+00:00"), ("ＡＮＡ", 1, "2026-01-01T09:00:00+00:00"),
            (NFC_JOSE, 2, "2026-01-01T10:00:00+00:00"), (NFD_JOSE, 1, "2026-01-01T12:00:00+00:00")]  # fmt: skip
    with conn:
        conn.execute(
            "INSERT INTO polls (id, title, created_at, created_by, closes_at) VALUES (1, 'Lunch?', ?, 'root', ?)",
            ("2026-01-01T07:00:00+00:00", "2099-01-01T07:00:00+00:00"),
        )
        conn.executemany("INSERT INTO options (poll_id, number, name) VALUES (1, ?, ?)", [(1, "Pizza"), (2, "Sushi")])
        conn.executemany(
            "INSERT INTO ballots (poll_id, option_id, voter, cast_at) VALUES (1, ?, ?, ?)",
            [(number, voter, at) for voter, number, at in rows],
        )
    conn.close()
    poll = ok_json("show", "1")
    # keep: Pizza; ana's latest (Ana, 11:00): Sushi; josé's latest (NFD, 12:00): Pizza.
    assert poll["total_votes"] == 3 and [o["votes"] for o in poll["options"]] == [2, 1]
    merged = [e for e in events(home, 1) if e[0] == "merged"]
    assert sorted(e[1] for e in merged) == sorted(["ana", "ＡＮＡ", NFC_JOSE])
    conn = sqlite3.connect(home / "votr.db")
    assert conn.execute("SELECT voter, choice FROM ballots ORDER BY id").fetchall() == [
        ("keep", "1"), ("Ana", "2"), (NFD_JOSE, "1")
    ]  # fmt: skip
    conn.close()


def test_only_the_creator_votes_for_others_closes_extends_or_deletes(accounts: Accounts) -> None:
    home = accounts.shared_home()
    made = accounts.run("votr-alice", home, "create", "Q", "-o", "pizza", "-o", "sushi", "--json")
    assert made.returncode == 0, made.stderr
    as_alice = accounts.run("votr-bob", home, "vote", "1", "pizza", "--voter", "votr-alice")
    assert as_alice.returncode == 1
    assert as_alice.stderr == (
        "Error: only poll 1's creator (votr-alice) may vote as someone else (votr-alice); you are votr-bob\n"
    )
    for args in (["close", "1"], ["extend", "1", "--by", "1h"], ["delete", "1", "--yes"]):
        denied = accounts.run("votr-bob", home, *args)
        assert denied.returncode == 1 and "only poll 1's creator (votr-alice) may" in denied.stderr, denied.stderr
    env = dict(subprocess_env(home), LOGNAME="votr-alice", USER="votr-alice")
    own = accounts.run("votr-bob", home, "vote", "1", "sushi", "--json", env=env)
    assert own.returncode == 0, own.stderr
    assert json.loads(own.stdout)["voter"] == "votr-bob"
    facilitated = accounts.run("votr-alice", home, "vote", "1", "pizza", "--voter", "carol", "--json")
    assert facilitated.returncode == 0 and json.loads(facilitated.stdout)["voter"] == "carol"
    assert accounts.run("votr-alice", home, "close", "1").returncode == 0
    log = events(home, 1)
    assert ("voted", "votr-bob", "votr-bob") in log
    assert ("voted", "carol", "votr-alice") in log
    assert ("closed early", "votr-alice", "votr-alice") in log
    conn = sqlite3.connect(home / "votr.db")
    ballots = dict(conn.execute("SELECT voter, account FROM ballots").fetchall())
    conn.close()
    assert ballots == {"votr-bob": "votr-bob", "carol": "votr-alice"}


def test_on_a_roll_each_account_votes_and_withdraws_only_its_own_ballot(accounts: Accounts) -> None:
    home = accounts.shared_home()
    made = accounts.run(
        "votr-alice", home, "create", "Q", "-o", "pizza", "-o", "sushi", "--voters", "votr-alice,votr-bob", "--json"
    )
    assert made.returncode == 0, made.stderr
    assert accounts.run("votr-bob", home, "vote", "1", "sushi").returncode == 0
    assert accounts.run("votr-alice", home, "vote", "1", "pizza").returncode == 0
    denied = accounts.run("votr-bob", home, "unvote", "1", "--voter", "votr-alice")
    assert denied.returncode == 1
    assert denied.stderr == (
        "Error: only poll 1's creator (votr-alice) may withdraw a ballot as someone else (votr-alice); "
        "you are votr-bob\n"
    )
    env = dict(subprocess_env(home), LOGNAME="votr-alice", USER="votr-alice")
    own = accounts.run("votr-bob", home, "unvote", "1", "--json", env=env)
    assert own.returncode == 0, own.stderr
    assert json.loads(own.stdout)["voter"] == "votr-bob"
    assert ("withdrew", "votr-bob", "votr-bob") in events(home, 1)
    # Off the roll, an account cannot vote even as itself; the creator may not add a stranger either.
    stranger = accounts.run("votr-alice", home, "vote", "1", "pizza", "--voter", "carol")
    assert stranger.returncode == 1 and stranger.stderr == "Error: carol is not on the voter roll of poll 1\n"
