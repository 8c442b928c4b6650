"""Deadlines through the commands: shown with their zone, checked where they are stored, moved only later."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from votr_cli.timefmt import from_iso, utcnow

from .conftest import make_poll, ok, ok_json, run, store_digest, subprocess_env, votr_exe, wait_for

KOLKATA = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def in_kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_every_shown_time_carries_the_zone(in_kolkata: None) -> None:
    out = ok("create", "Lunch?", "-o", "Pizza", "-o", "Sushi", "--closes-in", "2h").stdout
    closes = from_iso(ok_json("show", "1")["closes_at"]).astimezone(KOLKATA)
    today = datetime.now(KOLKATA).date() == closes.date()
    when = f"{closes:%H:%M} IST" if today else f"{closes:%b} {closes.day} {closes:%H:%M} IST"
    assert f"closes in 2 hours ({when})" in out
    assert f"({when})" in ok("show", "1").stdout
    assert f"({when})" in ok("list").stdout
    assert f"({when})" in ok("vote", "1", "pizza", "--voter", "ana").stdout
    assert f"({when})" in ok("status").stdout


def test_a_deadline_that_passes_while_create_waits_for_the_lock_is_refused(home: Path) -> None:
    make_poll()  # the store exists, so the create below only waits for the lock
    before = store_digest(home)
    blocker = sqlite3.connect(home / "votr.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        proc = subprocess.Popen(
            [votr_exe(), "create", "Late", "-o", "a", "-o", "b", "--closes-in", "1s"],
            env=subprocess_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started = time.monotonic()
        # Hold the write lock past the deadline the command computed at its start.
        wait_for(lambda: time.monotonic() - started > 1.5, 5, "the deadline to pass under the lock")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, out + err
    assert out == ""
    assert err.startswith("Error: the deadline ") and " is in the past; it is now " in err
    assert err.count("\n") == 1
    assert store_digest(home) == before


def test_extend_to_an_earlier_or_equal_deadline_is_refused(home: Path) -> None:
    pid = make_poll(closes_in="2h")
    deadline = from_iso(ok_json("show", str(pid))["closes_at"])
    before = store_digest(home)
    for target in (deadline - timedelta(minutes=30), deadline):
        result = run("extend", str(pid), "--to", target.isoformat())
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: the new deadline ")
        assert "is not after the current one (" in result.stderr
        assert f"`votr close {pid}` ends it now" in result.stderr
    assert store_digest(home) == before


def test_extend_by_counts_from_the_deadline_while_open_and_from_now_once_closed() -> None:
    pid = make_poll(closes_in="1s")
    deadline = from_iso(ok_json("show", str(pid))["closes_at"])
    wait_for(lambda: utcnow() > deadline, 5, "the deadline")
    t0 = utcnow()
    moved = ok_json("extend", str(pid), "--by", "1h")
    t1 = utcnow()
    assert (
        t0 + timedelta(hours=1) - timedelta(milliseconds=1) <= from_iso(moved["closes_at"]) <= t1 + timedelta(hours=1)
    )
    again = ok_json("extend", str(pid), "--by", "30m")
    assert from_iso(again["closes_at"]) == from_iso(moved["closes_at"]) + timedelta(minutes=30)


def test_a_deadline_typed_in_another_zone_is_that_instant() -> None:
    # Noon UTC is morning in New York: never in an hour that a clock change skips or repeats.
    target = (datetime.now(UTC) + timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
    local = target.astimezone(ZoneInfo("America/New_York"))
    typed = f"{local:%Y-%m-%d %H:%M} America/New_York"
    created = ok_json("create", "Q", "-o", "a", "-o", "b", "--closes-at", typed)
    assert from_iso(created["closes_at"]) == target
