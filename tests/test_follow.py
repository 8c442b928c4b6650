"""`votr watch` and `votr wait` in subprocesses, against polls the real daemon closes."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .conftest import Daemon, make_poll, ok, ok_json, subprocess_env, votr_exe, wait_for


def start(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [votr_exe(), *args], env=env or subprocess_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def read_lines(proc: subprocess.Popen) -> tuple[list[str], threading.Thread]:
    """The lines `proc` prints, collected as they come by a thread (joined once `proc` has ended)."""
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read)
    reader.start()
    return lines, reader


def test_wait_blocks_until_the_daemon_finalises_and_prints_the_result(
    home: Path, daemons: Callable[..., Daemon]
) -> None:
    daemons()
    pid = make_poll(closes_in="2s")
    ok("vote", str(pid), "pizza", "--voter", "ana")
    text, as_json = start(home, "wait", str(pid)), start(home, "wait", str(pid), "--json")
    out, err = text.communicate(timeout=30)
    assert text.returncode == 0, err
    assert "Pizza won with 1 of 1 vote" in out and "◀ winner" in out
    doc = json.loads(as_json.communicate(timeout=30)[0])
    assert as_json.returncode == 0 and doc["finalized_at"] is not None and doc["leaders"] == ["Pizza"]


def test_wait_gives_up_with_exit_3_after_its_timeout(home: Path) -> None:
    pid = make_poll(closes_in="1h")
    began = time.monotonic()
    proc = start(home, "wait", str(pid), "--timeout", "1s")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3 and out == ""
    assert err.startswith(f"timeout: poll {pid} was not finalised within 1 second; it closes in ")
    assert len(err.splitlines()) == 1
    assert time.monotonic() - began >= 1


def test_watch_prints_a_line_per_change_and_ends_when_finalised(home: Path, daemons: Callable[..., Daemon]) -> None:
    daemons()
    pid = make_poll(closes_in="3s")
    proc = start(home, "watch", str(pid))
    lines, reader = read_lines(proc)
    wait_for(lambda: lines, 10, "watch's first line")
    assert lines[0].endswith("no votes yet")
    ok("vote", str(pid), "sushi", "--voter", "bo")  # another process votes
    wait_for(lambda: any("Sushi leads with 1 of 1 vote" in line for line in lines), 5, "the vote to show")
    assert proc.wait(timeout=30) == 0  # by itself, once the daemon has finalised the poll
    reader.join(timeout=5)
    assert "Sushi won with 1 of 1 vote" in lines[-1] and lines[-1].endswith("(finalised)")
    assert len(lines) <= 5  # one line per change, not one per tick of the countdown


def test_watch_without_a_daemon_says_so_when_the_poll_closes(home: Path) -> None:
    pid = make_poll(closes_in="1s")
    proc = start(home, "watch", str(pid))
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert out.splitlines()[-1].endswith("(closed; no daemon is running to finalise it)")


def test_watch_on_a_terminal_draws_live_and_leaves_quietly_on_ctrl_c(
    home: Path, daemons: Callable[..., Daemon]
) -> None:
    from .conftest import Terminal, terminal_env

    daemons()
    pid = make_poll(closes_in="2s")
    term = Terminal([votr_exe(), "watch", str(pid)], terminal_env(home))
    ok("vote", str(pid), "pizza", "--voter", "ana")
    code, out = term.finish(timeout=30)
    assert code == 0
    assert "\x1b[2K" in out or "\x1b[1A" in out  # Rich Live redrawing in place
    assert "◀ winner" in out and "Pizza won with 1 of 1 vote" in out
    long = ok_json("create", "Long", "-o", "a", "-o", "b")["id"]
    term = Terminal([votr_exe(), "watch", str(long)], terminal_env(home))
    wait_for(lambda: "Poll" in term.text(), 10, "the live view")
    term.proc.send_signal(signal.SIGINT)
    code, out = term.finish(timeout=10)
    assert code == 130
    assert "Traceback" not in out and "Aborted" not in out


def test_watch_prints_a_line_when_the_poll_is_extended_and_wait_gives_one_line(home: Path) -> None:
    pid = make_poll(closes_in="1h")
    proc = start(home, "watch", str(pid))
    lines, reader = read_lines(proc)
    wait_for(lambda: lines, 10, "watch's first line")
    ok("extend", str(pid), "--by", "1h")
    wait_for(lambda: len(lines) >= 2, 5, "a line for the extension")
    assert "closes in 1 hour 59 minutes" in lines[-1] or "closes in 2 hours" in lines[-1]
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 130
    reader.join(timeout=5)
    closed = make_poll(closes_in="1h")
    ok("close", str(closed))
    waited = start(home, "wait", str(closed), "--timeout", "1s")
    out, err = waited.communicate(timeout=30)
    assert waited.returncode == 3 and len(err.splitlines()) == 1
    assert err.rstrip().endswith("and no daemon is running to finalise it")
