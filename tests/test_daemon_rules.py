"""The voting rules where the daemon acts: sealing anonymous polls, closing when all voted, reminders.

The real daemon (`votr daemon` as a subprocess) on a real queue.db, with real seconds.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

from votr_cli.accounts import current
from votr_cli.timefmt import from_iso

from .conftest import Daemon, ok, ok_json, wait_for

ME = current()

RECORDER = """
import json, os, sys, time
started = time.time()
data = json.load(sys.stdin)
env = {k: v for k, v in os.environ.items() if k in ("VOTR_HOME", "VOTR_POLL_ID", "VOTR_POLL_TITLE", "VOTR_NOT_VOTED")}
with open(sys.argv[1], "a") as out:
    out.write(json.dumps({"started": started, "stdin": data, "env": env}) + "\\n")
"""


def recorder(tmp_path: Path) -> tuple[str, Path]:
    script = tmp_path / "record.py"
    script.write_text(RECORDER)
    out = tmp_path / "reminders.jsonl"
    return f"{sys.executable} {script} {out}", out


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def finalized(pid: int) -> bool:
    return ok_json("show", str(pid))["finalized_at"] is not None


def create(*args: str) -> int:
    return ok_json("create", "Pick one", "-o", "Zebra", "-o", "Yak", *args)["id"]


# --- anonymous polls: the link is gone from the file once the daemon finalises -------------


def test_finalising_an_anonymous_poll_leaves_no_trace_of_the_link_in_the_file(
    home: Path, daemons: Callable[..., Daemon]
) -> None:
    daemons()
    voters = ["ana", "bo", "cy", "dee", "eli", "fay", "gus", ME]
    pid = create("--closes-in", "3s", "--anonymous", "--voters", ",".join(voters))
    for i, voter in enumerate(voters):
        ok("vote", str(pid), "zebra" if i % 3 else "yak", "--voter", voter)
    conn = sqlite3.connect(home / "votr.db")
    (key,) = conn.execute("SELECT key FROM poll_keys WHERE poll_id = ?", (pid,)).fetchone()
    conn.close()
    from votr_cli.text import identity
    from votr_cli.voting import voter_hash

    mine = voter_hash(key, identity(ME))
    ok("vote", str(pid), "zebra")  # a revote: an old cell to erase as well
    ok("unvote", str(pid))  # and a deleted ballot
    conn = sqlite3.connect(home / "votr.db")
    links = [k for (k,) in conn.execute("SELECT voter_key FROM ballots WHERE poll_id = ?", (pid,))]
    ids = [i for (i,) in conn.execute("SELECT id FROM ballots WHERE poll_id = ? ORDER BY id", (pid,))]
    conn.close()
    assert len(links) == 7 and len(key) == 32
    assert mine not in links  # withdrawn: its cell was deleted, never sealed
    # Ballots are not stored in the order their voters came: the ids are random.
    assert ids != list(range(ids[0], ids[0] + len(ids)))
    wait_for(lambda: finalized(pid), 15, "the close")

    def no_trace() -> bool:
        data = b"".join(
            p.read_bytes() for p in (home / "votr.db", home / "votr.db-wal", home / "votr.db-shm") if p.exists()
        )
        # Every byte of the file, free pages and the WAL included.
        return not any(link.encode() in data for link in [*links, mine]) and key not in data

    wait_for(no_trace, 10, "the erasing of every keyed hash and of the key")
    conn = sqlite3.connect(home / "votr.db")
    assert conn.execute("SELECT count(*) FROM poll_keys").fetchone()[0] == 0
    sealed = conn.execute("SELECT voter, account, cast_at, voter_key FROM ballots WHERE poll_id = ?", (pid,)).fetchall()
    assert len(sealed) == 7
    assert all(v == "" and a is None and c == "" and k.startswith("sealed-") for v, a, c, k in sealed)
    conn.close()
    # The count is intact, and who took part still shows.
    doc = ok_json("show", str(pid))
    assert doc["total_votes"] == 7 and doc["leaders"] == ["Zebra"]
    assert sorted(v["voter"] for v in ok_json("voters", str(pid))["voted"]) == sorted(voters[:-1])


def _cells(db: Path, name: str, poll_id: int, column: int) -> list[str]:
    """The text in `column` of `name`'s cells for one poll, in the order they sit in the file's pages.

    SQLite writes a page's cells from its end toward its start, so the
    highest offset is the oldest cell: this order is the order of writing.
    A small reader of the file format (sqlite.org/fileformat.html), enough
    for one-page b-trees of short records.
    """
    data = db.read_bytes()
    size = int.from_bytes(data[16:18], "big") or 65536
    conn = sqlite3.connect(db)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    conn.close()

    def varint(at: int) -> tuple[int, int]:
        value = 0
        for i in range(9):
            byte = data[at + i]
            if i == 8:
                return (value << 8) | byte, at + 9
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                return value, at + i + 1
        raise AssertionError("unreachable")

    def record(at: int) -> list[object]:
        header, body = varint(at)
        end, types = at + header, []
        while body < end:
            t, body = varint(body)
            types.append(t)
        values: list[object] = []
        for t in types:
            width = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8, 7: 8, 8: 0, 9: 0}.get(t, (t - 12) // 2)
            raw = data[end : end + width]
            values.append(raw.decode() if t >= 13 and t % 2 else int.from_bytes(raw, "big") if t < 8 else t - 8)
            end += width
        return values

    found: list[tuple[int, str]] = []

    def walk(page: int) -> None:
        base = (page - 1) * size
        head = base + (100 if page == 1 else 0)
        kind, count = data[head], int.from_bytes(data[head + 3 : head + 5], "big")
        pointers = head + (12 if kind in (2, 5) else 8)
        for i in range(count):
            cell = base + int.from_bytes(data[pointers + 2 * i : pointers + 2 * i + 2], "big")
            if kind in (2, 5):
                walk(int.from_bytes(data[cell : cell + 4], "big"))
                if kind == 5:
                    continue
                cell += 4
            _, at = varint(cell)
            if kind == 13:
                _, at = varint(at)  # the rowid
            values = record(at)
            if values[0 if kind in (2, 10) else 1] == poll_id:
                found.append((cell, str(values[column])))
        if kind in (2, 5):
            walk(int.from_bytes(data[head + 8 : head + 12], "big"))

    walk(root)
    return [text for _, text in sorted(found, reverse=True)]


def test_sealing_writes_an_anonymous_polls_ballots_again_in_a_random_order(
    home: Path, daemons: Callable[..., Daemon]
) -> None:
    options = [a for n in range(1, 9) for a in ("-o", f"opt{n}")]
    voters = [f"v{n}" for n in range(1, 8)]
    pid = ok_json("create", "Order", *options, "--closes-in", "1h", "--anonymous", "--voters", ",".join(voters))["id"]
    for n, voter in enumerate(voters, 1):
        ok("vote", str(pid), str(n), "--voter", voter)  # v1 chose option 1, v2 option 2, ...
    conn = sqlite3.connect(home / "votr.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    cast = [str(n) for n in range(1, 8)]
    # While open, the pages hold the ballots in the order they were cast (`voters` shows that order too)...
    assert _cells(home / "votr.db", "ballots_choice", pid, 1) == cast
    assert _cells(home / "votr.db", "ballots", pid, 5) == cast
    daemons()
    ok("close", str(pid))
    wait_for(lambda: finalized(pid), 15, "the close")
    wait_for(lambda: not (home / "votr.db-wal").exists() or (home / "votr.db-wal").stat().st_size == 0, 10, "the WAL")
    # ...and once sealed, in an order that says nothing of it (a random one: 1 in 5,040 to match by chance).
    for name, column in (("ballots_choice", 1), ("ballots", 5)):
        sealed = _cells(home / "votr.db", name, pid, column)
        assert sorted(sealed) == cast and sealed != cast, (name, sealed)


def test_a_sealed_ballot_stands_after_a_reopen(home: Path, daemons: Callable[..., Daemon]) -> None:
    daemons()
    pid = create("--closes-in", "1.5s", "--anonymous")
    ok("vote", str(pid), "yak", "--voter", "ana")
    wait_for(lambda: finalized(pid), 15, "the close")
    ok("extend", str(pid), "--by", "1h")
    result = ok_json("vote", str(pid), "zebra", "--voter", "bo")  # a new voter: a new key is made
    assert result["poll"]["total_votes"] == 2
    from .conftest import run

    again = run("vote", str(pid), "zebra", "--voter", "ana")
    assert again.exit_code == 1
    assert "ana's ballot in poll 1 was sealed when the poll closed" in again.stderr
    assert ok_json("show", str(pid))["total_votes"] == 2


# --- close when all voted -------------------------------------------------------------------


def test_the_last_voter_closes_the_poll_and_the_daemon_finalises_it_at_once(
    home: Path, daemons: Callable[..., Daemon], tmp_path: Path
) -> None:
    got = tmp_path / "closed.json"
    daemons("--on-close", f"sh -c 'cat > {got}.tmp && mv {got}.tmp {got}'")
    pid = create("--closes-in", "1h", "--voters", "ana,bo", "--close-when-all-voted", "--quorum", "2")
    ok("vote", str(pid), "zebra", "--voter", "ana")
    ok("vote", str(pid), "yak", "--voter", "bo")
    wait_for(lambda: finalized(pid), 10, "the finalise")
    doc = ok_json("show", str(pid))
    late = from_iso(doc["finalized_at"]) - from_iso(doc["closed_at"])
    assert late.total_seconds() < 2  # at once, not at the deadline an hour away
    wait_for(got.exists, 10, "the on-close hook")
    hooked = json.loads(got.read_text())
    assert hooked["quorum"] == {"needed": 2, "percent": None, "reached": True}
    assert hooked["roll"] == {"size": 2, "voted": 2}


def test_the_hook_says_when_a_poll_closed_below_its_quorum(
    home: Path, daemons: Callable[..., Daemon], tmp_path: Path
) -> None:
    got = tmp_path / "closed.json"
    d = daemons("--on-close", f"sh -c 'cat > {got}.tmp && mv {got}.tmp {got}'")
    pid = create("--closes-in", "1.5s", "--quorum", "2")
    ok("vote", str(pid), "zebra", "--voter", "ana")
    wait_for(got.exists, 10, "the on-close hook")
    hooked = json.loads(got.read_text())
    assert hooked["quorum"] == {"needed": 2, "percent": None, "reached": False}
    assert hooked["leaders"] == []
    assert "no quorum: 1 of the 2 ballots needed; no winner" in d.output()


# --- reminders ---------------------------------------------------------------------------------


def test_reminders_run_once_at_their_time_never_after_close_and_follow_an_extend(
    home: Path, daemons: Callable[..., Daemon], tmp_path: Path
) -> None:
    hook, out = recorder(tmp_path)
    d = daemons("--on-remind", hook)
    # Due 2 s from now, on a poll that hides its results and has a roll.
    due = create("--closes-in", "5s", "--remind-before", "3s", "--voters", "ana,bo,cy", "--hide-results")
    ok("vote", str(due), "zebra", "--voter", "bo")
    # Closed early, before its reminder: it never runs.
    early = create("--closes-in", "4s", "--remind-before", "2s")
    ok("close", str(early))
    # Extended before its reminder: it comes 3 s later than first set.
    moved = create("--closes-in", "4s", "--remind-before", "2s")
    ok("extend", str(moved), "--by", "3s")
    moved_doc = ok_json("show", str(moved))
    due_doc = ok_json("show", str(due))
    wait_for(lambda: len(records(out)) >= 2, 15, "two reminders")
    wait_for(lambda: all(finalized(p) for p in (due, early, moved)), 15, "every close")
    got = records(out)
    assert sorted(int(r["env"]["VOTR_POLL_ID"]) for r in got) == sorted([due, moved])  # once each; never `early`
    first = next(r for r in got if int(r["env"]["VOTR_POLL_ID"]) == due)
    assert first["stdin"]["not_voted"] == ["ana", "cy"]
    assert json.loads(first["env"]["VOTR_NOT_VOTED"]) == ["ana", "cy"]
    assert first["env"]["VOTR_HOME"] == str(home)
    # The reminder of a hidden poll hides the count like every other read.
    assert first["stdin"]["results_hidden"] is True and first["stdin"]["leaders"] is None
    assert [o["votes"] for o in first["stdin"]["options"]] == [None, None]
    at = from_iso(due_doc["closes_at"]).timestamp() - 3
    assert 0 <= first["started"] - at < 1.0, first["started"] - at  # on time (bench/ measures it closely)
    second = next(r for r in got if int(r["env"]["VOTR_POLL_ID"]) == moved)
    assert second["stdin"]["not_voted"] is None  # no roll
    assert second["started"] >= from_iso(moved_doc["closes_at"]).timestamp() - 2
    assert "reminder for poll" in d.output() and "ms late" in d.output()
    conn = sqlite3.connect(home / "votr.db")
    states = dict(conn.execute("SELECT poll_id, state FROM reminders"))
    kinds = [k for (k,) in conn.execute("SELECT kind FROM events WHERE poll_id = ? ORDER BY id", (due,))]
    conn.close()
    assert states == {due: "sent", early: None, moved: "sent"}
    assert kinds == ["created", "voted", "reminded", "closed"]


def test_a_reminder_missed_while_the_daemon_was_down_runs_at_start_only_if_the_poll_is_open(
    home: Path, daemons: Callable[..., Daemon], tmp_path: Path
) -> None:
    hook, out = recorder(tmp_path)
    still_open = create("--closes-in", "8s", "--remind-before", "7s")
    closed_meanwhile = create("--closes-in", "2s", "--remind-before", "1s")
    deadline = from_iso(ok_json("show", str(closed_meanwhile))["closes_at"]).timestamp()
    wait_for(lambda: time.time() > deadline, 10, "the second poll's deadline")
    d = daemons("--on-remind", hook)
    wait_for(lambda: records(out), 10, "the missed reminder")
    wait_for(lambda: finalized(closed_meanwhile), 10, "the overdue close")
    assert "1 reminder fell due while no daemon ran" in d.output()
    assert [int(r["env"]["VOTR_POLL_ID"]) for r in records(out)] == [still_open]
    d.stop()
    # A restart sends nothing again.
    d2 = daemons("--on-remind", hook)
    wait_for(lambda: "votr daemon started" in d2.output(), 10, "the restart")
    assert "fell due" not in d2.output()
    assert len(records(out)) == 1


def test_reminder_options_are_checked_and_passed_to_the_unit(home: Path) -> None:
    from .conftest import run

    result = run("daemon", "--on-remind", "no-such-program-xyz")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --on-remind: program 'no-such-program-xyz' not found on PATH")
    unit = ok("daemon", "--print-systemd-unit", "--on-remind", "echo remind").stdout
    assert '--on-remind "echo remind"' in unit
