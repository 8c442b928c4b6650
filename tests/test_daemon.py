"""The real daemon (`votr daemon` as a subprocess) on a real queue.db, with real seconds."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from votr_cli.timefmt import from_iso, log_str

from .conftest import Daemon, make_poll, ok, ok_json, run, subprocess_env, votr_exe, wait_for


def status() -> dict:
    return ok_json("status")


def poll(pid: int) -> dict:
    return ok_json("show", str(pid))


def finalized(pid: int) -> bool:
    return poll(pid)["finalized_at"] is not None


def events(home: Path, pid: int) -> list[str]:
    conn = sqlite3.connect(home / "votr.db")
    try:
        return [k for (k,) in conn.execute("SELECT kind FROM events WHERE poll_id = ? ORDER BY id", (pid,))]
    finally:
        conn.close()


def queue_empty(home: Path) -> bool:
    conn = sqlite3.connect(home / "queue.db")
    try:
        return conn.execute("SELECT (SELECT count(*) FROM task) + (SELECT count(*) FROM schedule)").fetchone()[0] == 0
    finally:
        conn.close()


def wait_past(when: str) -> None:
    """Let real time pass a deadline: the one thing there is nothing to poll for."""
    wait_for(lambda: time.time() > from_iso(when).timestamp(), 30, f"time to pass {when}")


def test_a_poll_is_finalised_at_its_deadline(home: Path, daemons: Callable[..., Daemon]) -> None:
    d = daemons()
    pid = make_poll(closes_in="1.5s")
    ok("vote", str(pid), "pizza", "--voter", "ana")
    wait_for(lambda: finalized(pid), 10, "the close")
    p = poll(pid)
    assert p["status"] == "closed" and p["closed_at"] == p["closes_at"]
    assert from_iso(p["finalized_at"]) >= from_iso(p["closes_at"])
    assert p["leaders"] == ["Pizza"]
    assert events(home, pid) == ["created", "voted", "closed"]
    assert f'closed poll {pid} "Lunch?": deadline {log_str(from_iso(p["closes_at"]))}, ' in d.output()
    # One zone throughout the log, marked: every line starts with its UTC time.
    assert all(
        re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC (INFO|WARNING) ", line) for line in d.output().splitlines()
    )
    assert '"Pizza" won with 1 of 1 vote' in d.output()
    conn = sqlite3.connect(home / "votr.db")
    frozen = json.loads(conn.execute("SELECT result FROM polls WHERE id = ?", (pid,)).fetchone()[0])
    assert frozen == {
        "method": "single",
        "total_votes": 1,
        "options": [{"number": 1, "name": "Pizza", "votes": 1}, {"number": 2, "name": "Sushi", "votes": 0}],
        "leaders": ["Pizza"],
    }


def test_extend_moves_the_close(home: Path, daemons: Callable[..., Daemon]) -> None:
    daemons()
    pid = make_poll(closes_in="1.5s")
    first = poll(pid)["closes_at"]
    moved = ok_json("extend", str(pid), "--by", "1.5s")["closes_at"]
    wait_past(first)
    ok("vote", str(pid), "sushi", "--voter", "late-but-in-time")  # still open: the old close did nothing
    wait_for(lambda: finalized(pid), 10, "the moved close")
    p = poll(pid)
    assert p["closes_at"] == moved == p["closed_at"]
    assert from_iso(p["finalized_at"]) >= from_iso(moved)
    assert events(home, pid) == ["created", "extended", "voted", "closed"]


def test_early_close_finalises_now_and_the_deadline_does_nothing(home: Path, daemons: Callable[..., Daemon]) -> None:
    daemons()
    pid = make_poll(closes_in="2s")
    deadline = poll(pid)["closes_at"]
    ok("close", str(pid))
    wait_for(lambda: finalized(pid), 10, "the early close")
    assert from_iso(poll(pid)["closed_at"]) < from_iso(deadline)
    wait_past(deadline)
    wait_for(lambda: queue_empty(home), 10, "the deadline's task to run")
    assert events(home, pid) == ["created", "closed early", "closed"]


def test_delete_cancels_the_close(home: Path, daemons: Callable[..., Daemon]) -> None:
    d = daemons()
    pid = make_poll(closes_in="1.5s")
    deadline = poll(pid)["closes_at"]
    ok("delete", str(pid), "--yes")
    wait_past(deadline)
    wait_for(lambda: queue_empty(home), 10, "the deadline's task to run")
    assert events(home, pid) == ["created", "deleted"]
    assert d.proc.poll() is None
    assert "ERROR" not in d.output() and "Traceback" not in d.output()


def test_kill_9_then_overdue_then_lost_queue(home: Path, daemons: Callable[..., Daemon]) -> None:
    d = daemons()
    due = make_poll(closes_in="1.5s")
    ok("vote", str(due), "sushi", "--voter", "ana")
    later = make_poll(title="Later", closes_in="1h")
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    wait_past(poll(due)["closes_at"])
    assert not finalized(due)
    for name in ("queue.db", "queue.db-wal", "queue.db-shm"):
        (home / name).unlink(missing_ok=True)
    before_later = poll(later)

    again = daemons()  # a stale lock and a stale heartbeat must not stop it
    wait_for(lambda: finalized(due), 10, "the overdue close")
    started = from_iso(status()["daemon"]["started_at"])
    assert (from_iso(poll(due)["finalized_at"]) - started).total_seconds() <= 2
    assert poll(due)["leaders"] == ["Sushi"]
    assert poll(later) == before_later  # nothing else changed
    assert "1 overdue poll closing now, 1 close rescheduled" in again.output()
    s = status()
    assert s["pending_closes"] == 1 and s["next_close"] == {"id": later, "closes_at": before_later["closes_at"]}


def test_a_second_daemon_is_refused(home: Path, daemons: Callable[..., Daemon]) -> None:
    first = daemons()
    result = subprocess.run(
        [votr_exe(), "daemon"], env=subprocess_env(home), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert result.stderr == f"Error: a daemon is already running on '{home}' (pid {first.proc.pid})\n"
    assert first.proc.poll() is None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_it_cleanly(home: Path, daemons: Callable[..., Daemon], sig: int) -> None:
    d = daemons()
    assert status()["daemon"]["running"] is True
    asked = time.monotonic()
    d.proc.send_signal(sig)
    code = d.proc.wait(timeout=5)
    assert time.monotonic() - asked < 5
    assert code == 0
    assert status()["daemon"] == {
        "running": False,
        "pid": None,
        "host": None,
        "started_at": None,
        "last_beat": None,
        "version": None,
    }
    log = d.output()
    assert log.rstrip().endswith("votr daemon stopped")
    assert all(line[:4].isdigit() for line in log.splitlines())  # timestamped lines, no traceback


HOOK = """
import json, os, sys
data = json.load(sys.stdin)
with open(sys.argv[1], "a") as out:
    out.write(json.dumps({"stdin": data, "env": {k: v for k, v in os.environ.items() if k.startswith("VOTR_POLL")
                                                 or k == "VOTR_WINNERS"}}) + "\\n")
sys.exit(int(sys.argv[2]))
"""


def test_the_on_close_hook_gets_json_on_stdin_and_env(
    tmp_path: Path, home: Path, daemons: Callable[..., Daemon]
) -> None:
    script = tmp_path / "hook.py"
    script.write_text(HOOK)
    out = tmp_path / "hook.out"
    daemons("--on-close", f"{sys.executable} {script} {out} 0")
    title = "Lunch?; $(touch pwned) `id` 'quoted'"
    pid = make_poll("Pizza", "Sushi", title=title, closes_in="1.5s")
    ok("vote", str(pid), "pizza", "--voter", "ana")
    wait_for(lambda: out.exists() and out.read_text().count("\n") >= 1, 10, "the hook")
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["stdin"] == poll(pid)
    assert record["env"] == {"VOTR_POLL_ID": str(pid), "VOTR_POLL_TITLE": title, "VOTR_WINNERS": '["Pizza"]'}
    assert not (home / "pwned").exists() and not Path("pwned").exists()


def test_a_failing_hook_is_retried_and_blocks_no_close(
    tmp_path: Path, home: Path, daemons: Callable[..., Daemon]
) -> None:
    script = tmp_path / "hook.py"
    script.write_text(HOOK)
    out = tmp_path / "hook.out"
    d = daemons("--on-close", f"{sys.executable} {script} {out} 3")
    first = make_poll(title="One", closes_in="1.5s")
    second = make_poll(title="Two", closes_in="2s")
    wait_for(lambda: finalized(first) and finalized(second), 10, "both closes")
    wait_for(lambda: out.exists() and out.read_text().count("\n") >= 6, 20, "three tries of each hook")
    tries = [json.loads(line)["env"]["VOTR_POLL_ID"] for line in out.read_text().splitlines()]
    assert sorted(tries) == [str(first)] * 3 + [str(second)] * 3
    log = d.output()
    assert log.count(f"on-close hook for poll {first} exited with status 3") == 3
    assert "Traceback" not in log


def test_status_without_and_with_a_daemon(home: Path, daemons: Callable[..., Daemon]) -> None:
    make_poll(title="Later", closes_in="2h")
    sooner = make_poll(title="Sooner", closes_in="1h")
    s = status()
    assert s["daemon"]["running"] is False and s["daemon"]["pid"] is None
    assert s["pending_closes"] == 2
    assert s["next_close"] == {"id": sooner, "closes_at": poll(sooner)["closes_at"]}
    assert "daemon: not running" in ok("status").stdout
    d = daemons()
    s = status()
    assert s["daemon"]["running"] is True and s["daemon"]["pid"] == d.proc.pid
    assert from_iso(s["daemon"]["last_beat"]) >= from_iso(s["daemon"]["started_at"])
    text = ok("status").stdout
    assert f"daemon: running (pid {d.proc.pid}" in text and "pending closes: 2" in text
    # The daemon's start took some of the hour: "1 hour", or "59 minutes 58 seconds" on a busy machine.
    assert re.search(rf"next: poll {sooner}: Sooner; closes in (1 hour|59 minutes( \d+ seconds?)?) \(", text), text


def test_list_and_show_hint_when_no_daemon_runs(home: Path, daemons: Callable[..., Daemon]) -> None:
    pid = make_poll()
    for args in (("list",), ("show", str(pid))):
        result = run(*args)
        assert "no daemon is running" in result.stderr and "no daemon" not in result.stdout
        assert run(*args, "--json").stderr == ""
    daemons()
    assert run("list").stderr == ""


def test_demo_end_to_end(tmp_path: Path) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [votr_exe(), "demo"], env=subprocess_env(tmp_path / "unused"), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 15
    out = result.stdout
    assert "Started the daemon" in out and "closing in 5 seconds" in out
    assert out.count(" voted ") == 12
    assert "Winner: Pizza. The daemon finalised the poll " in out and " ms after its deadline." in out
    assert "◀ winner" in out
    assert not (tmp_path / "unused").exists()  # a temporary home, not VOTR_HOME


def test_demo_in_a_given_home_keeps_the_poll(tmp_path: Path) -> None:
    home = tmp_path / "demo-home"
    result = subprocess.run(
        [votr_exe(), "--home", str(home), "demo", "--seconds", "1"],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(
        subprocess.run([votr_exe(), "--home", str(home), "show", "1", "--json"], capture_output=True, text=True).stdout
    )
    assert shown["finalized_at"] is not None and shown["total_votes"] == 12
    assert from_iso(shown["finalized_at"]) >= from_iso(shown["closes_at"])


def test_print_systemd_unit(home: Path) -> None:
    unit = ok("daemon", "--print-systemd-unit", "--on-close", "echo done").stdout
    assert "[Service]" in unit and "KillSignal=SIGTERM" in unit
    exec_line = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert f'-m votr_cli --home {home} daemon --workers 2 --on-close "echo done"' in exec_line
    assert not (home / "daemon.lock").exists()


def test_bad_on_close_is_a_usage_error() -> None:
    result = run("daemon", "--on-close", "unbalanced 'quote")
    assert result.exit_code == 2 and result.stderr.startswith("Error: --on-close: No closing quotation")


def test_log_file_gets_the_same_lines(tmp_path: Path, home: Path, daemons: Callable[..., Daemon]) -> None:
    log_file = tmp_path / "votr.log"
    d = daemons("--log-file", str(log_file))
    pid = make_poll(closes_in="1.5s")
    wait_for(lambda: finalized(pid), 10, "the close")
    assert d.stop() == 0
    lines = log_file.read_text().splitlines()
    assert lines == d.output().splitlines()
    assert any(f"closed poll {pid} " in line for line in lines)


def test_sigterm_lets_a_running_task_finish(tmp_path: Path, home: Path, daemons: Callable[..., Daemon]) -> None:
    script = tmp_path / "slow_hook.py"
    done = tmp_path / "done"
    script.write_text(f"import sys, time\nsys.stdin.read()\ntime.sleep(1.5)\nopen({str(done)!r}, 'w').write('ok')\n")
    d = daemons("--on-close", f"{sys.executable} {script}")
    pid = make_poll(closes_in="1s")
    wait_for(lambda: f"on-close hook for poll {pid} started" in d.output(), 10, "the hook start")
    asked = time.monotonic()
    assert d.stop(signal.SIGTERM) == 0
    assert time.monotonic() - asked < 5
    assert done.read_text() == "ok"
    assert f"on-close hook for poll {pid} succeeded" in d.output()


SLOW_HOOK = """
import os, sys, time
sys.stdin.read()
time.sleep(float(sys.argv[1]))
open(sys.argv[2], "a").write(os.environ["VOTR_POLL_ID"] + "\\n")
"""


def test_slow_hooks_never_hold_up_a_close(tmp_path: Path, home: Path, daemons: Callable[..., Daemon]) -> None:
    script = tmp_path / "slow.py"
    script.write_text(SLOW_HOOK)
    done = tmp_path / "done"
    daemons("--on-close", f"{sys.executable} {script} 4 {done}")
    pids = [make_poll(title=f"P{i}", closes_in=f"{1 + i / 2}s") for i in range(3)]
    wait_for(lambda: all(finalized(p) for p in pids), 10, "three closes")
    # Each hook takes 4 s and they run one at a time; the closes did not wait for any of them.
    assert not done.exists()
    wait_for(lambda: done.exists() and len(done.read_text().split()) == 3, 20, "the three hooks")


def test_a_hook_past_its_timeout_is_killed_and_finally_marked_failed(
    tmp_path: Path, home: Path, daemons: Callable[..., Daemon]
) -> None:
    script = tmp_path / "slow.py"
    script.write_text(SLOW_HOOK)
    done = tmp_path / "done"
    d = daemons("--on-close", f"{sys.executable} {script} 30 {done}", "--hook-timeout", "0.5")
    pid = make_poll(closes_in="1s")

    def state() -> str | None:
        conn = sqlite3.connect(home / "votr.db")
        try:
            return conn.execute("SELECT hook_state FROM polls WHERE id = ?", (pid,)).fetchone()[0]
        finally:
            conn.close()

    wait_for(lambda: state() == "failed", 20, "three timed-out tries")
    assert d.output().count(f"on-close hook for poll {pid} timed out after 0.5 s") == 3
    assert "giving up" in d.output()
    assert not done.exists()


def test_a_hook_lost_in_a_crash_runs_on_restart(tmp_path: Path, home: Path, daemons: Callable[..., Daemon]) -> None:
    from votr_cli import lifecycle, store
    from votr_cli.timefmt import utcnow

    pid = make_poll(closes_in="1s")
    wait_past(poll(pid)["closes_at"])
    # What a daemon killed right after finalising leaves: finalised, hook not yet run.
    conn = store.connect(home)
    done = lifecycle.finalize(conn, pid, from_iso(poll(pid)["closes_at"]), utcnow, with_hook=True)
    conn.close()
    assert done.state == "finalized"
    script = tmp_path / "hook.py"
    script.write_text(HOOK)
    out = tmp_path / "hook.out"
    d = daemons("--on-close", f"{sys.executable} {script} {out} 0")
    wait_for(lambda: out.exists() and "succeeded" in d.output(), 10, "the left-over hook")
    assert "1 on-close hook left over from before a crash" in d.output()
    assert [json.loads(line)["env"]["VOTR_POLL_ID"] for line in out.read_text().splitlines()] == [str(pid)]


def test_a_clean_restart_reschedules_nothing(home: Path, daemons: Callable[..., Daemon]) -> None:
    first = daemons()
    make_poll(closes_in="1h")
    wait_for(lambda: not queue_empty(home), 10, "the close to reach the queue")
    assert first.stop() == 0
    again = daemons()
    assert "0 overdue polls closing now, 0 closes rescheduled" in again.output()


def test_finalising_twice_is_harmless(home: Path) -> None:
    from votr_cli import lifecycle, polls, store
    from votr_cli.timefmt import utcnow

    pid = make_poll(closes_in="1s")
    ok("vote", str(pid), "pizza", "--voter", "ana")
    deadline = from_iso(poll(pid)["closes_at"])
    wait_past(poll(pid)["closes_at"])
    conn = store.connect(home)
    first = lifecycle.finalize(conn, pid, deadline, utcnow)
    second = lifecycle.finalize(conn, pid, deadline, utcnow)
    stale = lifecycle.finalize(conn, pid, deadline.replace(year=2020), utcnow)
    conn.close()
    assert (first.state, second.state, stale.state) == ("finalized", "already finalized", "stale")
    assert events(home, pid) == ["created", "voted", "closed"]
    assert poll(pid)["finalized_at"] == polls.Poll.to_json(first.poll, utcnow())["finalized_at"]


def test_demo_on_a_terminal_draws_a_live_countdown(tmp_path: Path) -> None:
    from .conftest import Terminal, terminal_env

    code, out = Terminal([votr_exe(), "demo", "--seconds", "1.5"], terminal_env(tmp_path / "unused")).finish()
    assert code == 0
    assert "\x1b[2K" in out and "\x1b[1A" in out  # Rich Live redrawing in place
    assert "closes in" in out and "◀ winner" in out
    assert "Winner: Pizza. The daemon finalised the poll " in out
