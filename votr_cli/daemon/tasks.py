"""What the daemon's tasks do: finalise a closing, run the on-close hook.

Plain functions over the core; `queue.py` registers them with Huey.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

from .. import lifecycle, polls, reminders, store
from ..accounts import current as daemon_account
from ..outcome import plural, standing
from ..text import json_text
from ..timefmt import describe_span, from_iso, log_str, to_iso, utcnow

log = logging.getLogger("votr.daemon")

HOOK_TIMEOUT_S = 30


class HookFailed(Exception):
    """The operator's on-close or on-remind command failed; Huey retries the hook task."""


# Set when an anonymous poll was sealed but its WAL could not be emptied then
# (a reader held it): housekeeping truncates it as soon as it can.
scrub_pending = threading.Event()


def close_poll(home: Path, poll_id: int, ended_at: str, with_hook: bool = False) -> polls.Poll | None:
    """Finalise one closing; the poll when this call finalised it (so its hook runs), else None."""
    from huey.exceptions import RetryTask

    conn = store.connect(home)
    try:
        done = lifecycle.finalize(conn, poll_id, from_iso(ended_at), utcnow, with_hook)
        if done.state == "finalized" and done.poll is not None and done.poll.voting.anonymous:
            # The erased links still sit in the WAL's older pages until it is emptied.
            if not store.truncate_wal(conn):
                scrub_pending.set()
    finally:
        conn.close()
    if done.state == "not due":
        # Huey's clock said due, ours not yet: try again at the deadline itself.
        raise RetryTask(eta=from_iso(ended_at))
    if done.state != "finalized" or done.poll is None:
        log.debug("close of poll %s (%s): %s, nothing to do", poll_id, ended_at, done.state)
        return None
    poll = done.poll
    assert poll.finalized_at is not None
    late_ms = (poll.finalized_at - from_iso(ended_at)).total_seconds() * 1000
    outcome = standing(poll, False, lambda name: json_text(json.dumps(name, ensure_ascii=False)))
    title = json_text(json.dumps(poll.title, ensure_ascii=False))
    deadline = log_str(from_iso(ended_at))
    log.info("closed poll %s %s: deadline %s, %.0f ms late; %s", poll.id, title, deadline, late_ms, outcome)
    return poll


_running: dict[subprocess.Popen, tuple[int, str] | None] = {}  # each hook -> the closing it is for, if any
_running_lock = threading.Lock()
_stopping = threading.Event()
STDERR_KEEP = 4096  # the tail of a hook's stderr we keep: its last words, never its whole output


class _Tail(threading.Thread):
    """Drains a hook's stderr, keeping only its last STDERR_KEEP bytes, so a chatty hook costs no memory."""

    def __init__(self, stream: object) -> None:
        super().__init__(name="hook-stderr", daemon=True)
        self.stream = stream
        self.kept = b""

    def run(self) -> None:
        read = self.stream.read1  # type: ignore[attr-defined]
        while chunk := read(65536):
            self.kept = (self.kept + chunk)[-STDERR_KEEP:]

    def last_line(self) -> str:
        # A hook that left a child holding stderr open must not keep us waiting: take what is there.
        self.join(0.2)
        lines = self.kept.decode(errors="replace").strip().splitlines()
        return lines[-1][:200] if lines else ""


def check_command(command: str) -> str | None:
    """Why `command` cannot run (its program is missing or not executable), or None."""
    import shutil

    program = shlex.split(command)[0]
    if shutil.which(program) is None:
        return f"program {program!r} not found" + ("" if "/" in program else " on PATH")
    return None


def run_hook(home: Path, command: str, poll_id: int, ended_at: str, timeout: float = HOOK_TIMEOUT_S) -> bool:
    """Run the operator's on-close command with the poll's JSON on stdin; never through a shell.

    True when this closing's hook is done with (ran, or has nothing to run
    for); False when a stopping daemon cut it short, so it runs on next start.
    """
    conn = store.connect(home)
    try:
        poll = polls.get_poll(conn, poll_id)
    except polls.PollNotFound:
        log.info("on-close hook for poll %s skipped: the poll was deleted", poll_id)
        return True
    finally:
        conn.close()
    if poll.closed_at is None or to_iso(poll.closed_at) != ended_at:
        log.info("on-close hook for poll %s skipped: the poll reopened", poll_id)
        return True
    data = poll.to_json(utcnow())
    env = {"VOTR_WINNERS": json.dumps(data["leaders"], ensure_ascii=False)}
    return _run(home, command, f"on-close hook for poll {poll.id}", poll, data, env, timeout, (poll.id, ended_at))


def claim_reminder(home: Path, reminder: reminders.Reminder) -> bool:
    """Take the reminder for sending (True), if it is still armed for this time and its poll is open."""
    from huey.exceptions import RetryTask

    conn = store.connect(home)
    try:
        claim = reminders.claim(conn, reminder, utcnow, daemon_account())
    finally:
        conn.close()
    if claim.state == "not due":
        raise RetryTask(eta=reminder.due_at)
    if claim.state != "claimed" or claim.poll is None:
        log.debug("reminder %s s before poll %s's deadline: %s", reminder.before_s, reminder.poll_id, claim.state)
        return False
    late_ms = (utcnow() - reminder.due_at).total_seconds() * 1000
    missing = "" if claim.not_voted is None else f"; {plural(len(claim.not_voted), 'voter')} on the roll to go"
    span = describe_span(timedelta(seconds=reminder.before_s))
    log.info("reminder for poll %s, %s before its deadline: %.0f ms late%s", claim.poll.id, span, late_ms, missing)
    return True


def run_reminder_hook(home: Path, command: str, reminder: reminders.Reminder, timeout: float = HOOK_TIMEOUT_S) -> None:
    """Run the operator's on-remind command for a claimed reminder: the poll's JSON and `not_voted` on stdin.

    A retry after the poll closed, or after an extend re-armed the reminder, does nothing.
    """
    conn = store.connect(home)
    try:
        claimed = reminders.is_claimed(conn, reminder)
        poll = polls.get_poll(conn, reminder.poll_id) if claimed else None
        now = utcnow()
        if poll is None or not poll.is_open(now):
            log.info("on-remind hook for poll %s skipped: the poll closed or moved", reminder.poll_id)
            return
        missing = reminders.not_voted(conn, poll)
    finally:
        conn.close()
    data = poll.to_json(now) | {"not_voted": missing}
    env = {"VOTR_NOT_VOTED": json.dumps(missing, ensure_ascii=False)}
    if _run(home, command, f"on-remind hook for poll {poll.id}", poll, data, env, timeout, None):
        finish_reminder(home, reminder, "sent")


def finish_reminder(home: Path, reminder: reminders.Reminder, state: str) -> None:
    conn = store.connect(home)
    try:
        reminders.finish(conn, reminder, state)
    finally:
        conn.close()


def _run(
    home: Path,
    command: str,
    what: str,
    poll: polls.Poll,
    data: dict,
    env_extra: dict[str, str],
    timeout: float,
    closing: tuple[int, str] | None,
) -> bool:
    """Run `command` with `data` as JSON on stdin; True once it succeeded, False when a stopping daemon cut it short.

    `closing` names the closing an on-close hook is for, so a hook cut short
    is recorded and runs again on the next start.
    """
    env = dict(
        os.environ,
        # The home this daemon serves, so a hook running `votr show` reads the same one (the unit passes --home).
        VOTR_HOME=os.path.abspath(home),
        VOTR_POLL_ID=str(poll.id),
        VOTR_POLL_TITLE=poll.title,
        **env_extra,
    )
    log.info("%s started", what)
    try:
        proc = subprocess.Popen(
            shlex.split(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise HookFailed(f"{what} could not start: {exc}") from None
    tail = _Tail(proc.stderr)
    tail.start()
    with _running_lock:
        _running[proc] = closing
    try:
        assert proc.stdin is not None
        try:
            proc.stdin.write(json_text(json.dumps(data, ensure_ascii=False)).encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass  # the hook does not read its stdin; that is its business
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            proc.wait()
            raise HookFailed(f"{what} timed out after {timeout:g} s") from None
    finally:
        with _running_lock:
            _running.pop(proc, None)
    if _stopping.is_set() and proc.returncode < 0:
        return False  # the runner records it as interrupted, and the next start runs it again
    if proc.returncode != 0:
        said = tail.last_line()
        said = f": {said}" if said else ""
        raise HookFailed(f"{what} exited with status {proc.returncode}{said}")
    log.info("%s succeeded", what)
    return True


def _kill(proc: subprocess.Popen) -> None:
    """The hook and anything it started: it leads its own process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


_cut_short: dict[int, tuple[int, str]] = {}


def kill_running_hooks() -> list[tuple[int, str]]:
    """On shutdown: stop every hook still running (never orphan one); returns whose closings were cut short."""
    _stopping.set()
    with _running_lock:
        for proc, closing in _running.items():
            _kill(proc)
            if closing is not None:
                _cut_short[proc.pid] = closing
        return list(_cut_short.values())
