"""Issue 7, items 1, 5 and 6: a daemon that says "running" closes polls, whatever befalls its queue."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from votr_cli.timefmt import from_iso

from .conftest import Accounts, Daemon, make_poll, ok_json, run, subprocess_env, votr_exe, wait_for


def shown(pid: int, home: Path | None = None) -> dict:
    args = ["--home", str(home)] if home else []
    return ok_json(*args, "show", str(pid))


def lateness(poll: dict) -> float:
    return (from_iso(poll["finalized_at"]) - from_iso(poll["closes_at"])).total_seconds()


def finalised_on_time(pid: int, home: Path | None = None, within: float = 2.0) -> None:
    """Wait for the close; it must land no more than `within` seconds after the deadline."""
    wait_for(lambda: shown(pid, home)["finalized_at"] is not None, 15, f"poll {pid}'s close")
    assert lateness(shown(pid, home)) <= within, shown(pid, home)


def queue_files(home: Path) -> list[Path]:
    return [home / n for n in ("queue.db", "queue.db-wal", "queue.db-shm") if (home / n).exists()]


def test_a_close_the_cli_could_not_queue_lands_on_time(accounts: Accounts) -> None:
    """Item 1a: the home is A's, the daemon runs as root, so queue.db is root's and A cannot write it."""
    import pwd

    top = accounts.shared_home().parent
    home = top / "alices"
    home.mkdir(mode=0o700)
    alice = pwd.getpwnam("votr-alice")
    os.chown(home, alice.pw_uid, alice.pw_gid)
    assert accounts.run("votr-alice", home, "create", "First", "-o", "a", "-o", "b").returncode == 0
    for path in queue_files(home):
        path.unlink()  # so the daemon makes queue.db, as root's 0600 file
    d = Daemon(home).wait_ready()
    try:
        assert (home / "queue.db").stat().st_uid == 0 and (home / "queue.db").stat().st_mode & 0o077 == 0
        made = accounts.run("votr-alice", home, "create", "Q", "-o", "a", "-o", "b", "--closes-in", "3s", "--json")
        assert made.returncode == 0, made.stderr
        assert "could not queue the close" in made.stderr
        finalised_on_time(json.loads(made.stdout)["id"], home)
        assert "its close never came; closing it now" in d.output()
    finally:
        d.stop()


@pytest.mark.parametrize("harm", ["delete", "empty", "replace"])
def test_a_queue_lost_while_running_is_rebuilt_and_closes_keep_coming(
    home: Path, daemons: Callable[..., Daemon], harm: str
) -> None:
    """Item 1b: rm queue.db*, `: > queue.db`, or another file in its place."""
    d = daemons()
    before = make_poll(closes_in="4s")  # its task is in the queue about to be lost
    for path in queue_files(home):
        if harm == "delete":
            path.unlink()
        elif harm == "empty" and path.name == "queue.db":
            path.write_bytes(b"")
        elif harm == "replace" and path.name == "queue.db":
            path.unlink()
            path.write_bytes(b"SQLite format 3\0" + os.urandom(8192))
    started = time.monotonic()
    made = subprocess.run(
        [votr_exe(), "create", "After", "-o", "a", "-o", "b", "--closes-in", "3s", "--json"],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert time.monotonic() - started < 20, "create hung on the broken queue"
    finalised_on_time(before)
    finalised_on_time(json.loads(made.stdout)["id"])
    assert ok_json("status")["daemon"]["running"] is True
    wait_for(lambda: "starting a new one" in d.output(), 10, "the rebuild warning")
    assert d.output().count("starting a new one") == 1, d.output()
    later = make_poll(closes_in="2s")
    finalised_on_time(later)


def test_pages_overwritten_under_the_daemon_cost_no_close(home: Path, daemons: Callable[..., Daemon]) -> None:
    """Item 1b: garbage written over queue.db's pages while it runs."""
    daemons()
    first = make_poll(closes_in="3s")
    queue = home / "queue.db"
    with open(queue, "r+b") as f:
        f.seek(1024)
        f.write(os.urandom(max(queue.stat().st_size - 1024, 8192)))
    result = run("create", "Q", "-o", "a", "-o", "b", "--closes-in", "3s", "--json")
    assert result.exit_code == 0, result.output
    finalised_on_time(first)
    finalised_on_time(json.loads(result.stdout)["id"])
    assert ok_json("status")["daemon"]["running"] is True


def test_a_damaged_queue_at_start_is_set_aside_not_blamed_on_the_store(
    home: Path, daemons: Callable[..., Daemon]
) -> None:
    """Item 1c."""
    pid = make_poll(closes_in="3s")
    for path in queue_files(home):
        path.unlink()
    (home / "queue.db").write_bytes(b"SQLite format 3\0" + b"\xff" * 8192)
    d = daemons()
    assert "poll store" not in d.output() and "votr.db" not in d.output()
    assert "queue.db.damaged-" in d.output()
    assert any(p.name.startswith("queue.db.damaged-") for p in home.iterdir())
    finalised_on_time(pid)


def test_sigterm_stops_the_daemon_while_another_process_holds_the_write_lock(
    home: Path, daemons: Callable[..., Daemon]
) -> None:
    """Item 5: no 30 s wait for a lock on the way out, and the stop is logged."""
    d = daemons()
    holder = sqlite3.connect(home / "votr.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        asked = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(timeout=30) == 0
        took = time.monotonic() - asked
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    d.log.close()
    assert took <= 5.5, f"SIGTERM took {took:.1f} s"
    assert d.output().rstrip().endswith("votr daemon stopped")


def test_a_hook_flooding_stderr_costs_the_daemon_no_memory(
    tmp_path: Path, home: Path, daemons: Callable[..., Daemon]
) -> None:
    """Item 5: 300 MB of stderr; the daemon keeps its tail only."""
    hook = tmp_path / "flood.py"
    hook.write_text(
        "import sys\nblock = b'x' * (1 << 20) + b'\\n'\n"
        "for _ in range(300):\n    sys.stderr.buffer.write(block)\n"
        "sys.stderr.buffer.write(b'the last words\\n')\nsys.exit(3)\n"
    )
    d = daemons("--on-close", f"{sys.executable} {hook}")
    make_poll(closes_in="1s")
    wait_for(lambda: "exited with status 3: the last words" in d.output(), 120, "the flooding hook's end")
    peak_kb = int(next(line for line in Path(f"/proc/{d.proc.pid}/status").read_text().splitlines()
                       if line.startswith("VmHWM:")).split()[1])  # fmt: skip
    # Far below the 300 MB the hook wrote: it was never held (nor written to a file).
    assert peak_kb < 150_000, f"daemon peaked at {peak_kb // 1024} MB"
    d.stop()


def test_the_hook_gets_the_home_it_serves(tmp_path: Path, home: Path, daemons: Callable[..., Daemon]) -> None:
    """Item 6: under the systemd unit (which passes --home) a hook running `votr show` reads the same home."""
    out = tmp_path / "seen.json"
    script = tmp_path / "hook.sh"
    script.write_text(
        f'#!/bin/sh\n"{votr_exe()}" show "$VOTR_POLL_ID" --json > "{out}.tmp" && mv "{out}.tmp" "{out}"\n'
    )
    script.chmod(0o755)
    env = {k: v for k, v in subprocess_env(home).items() if k != "VOTR_HOME"}
    proc = subprocess.Popen(
        [votr_exe(), "--home", str(home), "daemon", "--on-close", str(script)],
        env=env,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: ok_json("status")["daemon"]["pid"] == proc.pid, 15, "daemon start")
        pid = make_poll(closes_in="1s")
        wait_for(out.exists, 15, "the hook")
        assert json.loads(out.read_text())["id"] == pid
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()


def test_a_hook_program_that_does_not_exist_is_refused_at_start() -> None:
    result = run("daemon", "--on-close", "no-such-program-votr --flag")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --on-close: program 'no-such-program-votr' not found on PATH")


def test_a_hook_cut_short_by_sigterm_is_rerun_and_said_so(
    tmp_path: Path, home: Path, daemons: Callable[..., Daemon]
) -> None:
    """Item 6: not "left over from before a crash"."""
    runs = tmp_path / "runs"
    hook = tmp_path / "slow.sh"
    hook.write_text(f'#!/bin/sh\necho run >> "{runs}"\nsleep 60\n')
    hook.chmod(0o755)
    first = daemons("--on-close", str(hook), "--hook-timeout", "120")
    make_poll(closes_in="1s")
    wait_for(runs.exists, 15, "the hook to start")
    assert first.stop() == 0
    assert "on-close hook for poll 1 cut short: the daemon is stopping" in first.output()
    second = daemons("--on-close", str(hook), "--hook-timeout", "120")
    wait_for(lambda: runs.read_text().count("run") == 2, 15, "the hook to run again")
    assert "1 on-close hook cut short when the daemon last stopped: running them again" in second.output()
    assert "crash" not in second.output()


def plant_undecodable_schema(path: Path) -> None:
    """A database whose schema names an object in bytes that are not UTF-8: SQLite's own error is undecodable."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET name = CAST(x'8c' AS TEXT), sql = 'CREATE TABLE garbage garbage'")
    conn.commit()
    conn.close()


def test_a_queue_whose_errors_are_not_even_text_is_still_only_a_warning(
    home: Path, daemons: Callable[..., Daemon]
) -> None:
    home.mkdir()
    plant_undecodable_schema(home / "queue.db")
    made = run("create", "Q", "-o", "a", "-o", "b", "--closes-in", "3s", "--json")
    assert made.exit_code == 0 and "could not queue the close" in made.stderr
    d = daemons()
    assert "queue.db.damaged-" in d.output()
    finalised_on_time(json.loads(made.stdout)["id"])


def test_a_store_whose_errors_are_not_even_text_is_one_error_line(home: Path) -> None:
    home.mkdir()
    plant_undecodable_schema(home / "votr.db")
    result = run("list")
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    assert "not a usable votr database" in result.stderr
