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
import tempfile
import threading
from pathlib import Path

from .. import lifecycle, polls, store
from ..text import json_text
from ..timefmt import from_iso, log_str, to_iso, utcnow

log = logging.getLogger("votr.daemon")

HOOK_TIMEOUT_S = 30


class HookFailed(Exception):
    """The operator's on-close command failed; Huey retries the hook task."""


def close_poll(home: Path, poll_id: int, ended_at: str, with_hook: bool = False) -> polls.Poll | None:
    """Finalise one closing; the poll when this call finalised it (so its hook runs), else None."""
    from huey.exceptions import RetryTask

    conn = store.connect(home)
    try:
        done = lifecycle.finalize(conn, poll_id, from_iso(ended_at), utcnow, with_hook)
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
    leaders = poll.leaders
    names = ", ".join(json_text(json.dumps(o.name, ensure_ascii=False)) for o in leaders)
    if not leaders:
        outcome = "no votes"
    elif len(leaders) == 1:
        outcome = f"winner {names} with {leaders[0].votes} of {poll.total_votes} votes"
    else:
        outcome = f"tie between {names} at {leaders[0].votes} of {poll.total_votes} votes each"
    title = json_text(json.dumps(poll.title, ensure_ascii=False))
    deadline = log_str(from_iso(ended_at))
    log.info("closed poll %s %s: deadline %s, %.0f ms late; %s", poll.id, title, deadline, late_ms, outcome)
    return poll


_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()


def run_hook(home: Path, command: str, poll_id: int, ended_at: str, timeout: float = HOOK_TIMEOUT_S) -> None:
    """Run the operator's command with the poll's JSON on stdin; never through a shell."""
    conn = store.connect(home)
    try:
        poll = polls.get_poll(conn, poll_id)
    except polls.PollNotFound:
        log.info("on-close hook for poll %s skipped: the poll was deleted", poll_id)
        return
    finally:
        conn.close()
    if poll.closed_at is None or to_iso(poll.closed_at) != ended_at:
        log.info("on-close hook for poll %s skipped: the poll reopened", poll_id)
        return
    data = poll.to_json(utcnow())
    env = dict(
        os.environ,
        VOTR_POLL_ID=str(poll.id),
        VOTR_POLL_TITLE=poll.title,
        VOTR_WINNERS=json.dumps(data["leaders"], ensure_ascii=False),
    )
    log.info("on-close hook for poll %s started", poll.id)
    # stderr goes to a file, not a pipe: a hook that leaves a background child
    # holding a pipe open must not keep us waiting after it has exited.
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                shlex.split(command),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise HookFailed(f"on-close hook for poll {poll.id} could not start: {exc}") from None
        with _running_lock:
            _running.add(proc)
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
                raise HookFailed(f"on-close hook for poll {poll.id} timed out after {timeout:g} s") from None
        finally:
            with _running_lock:
                _running.discard(proc)
        if proc.returncode != 0:
            err.seek(0)
            last = err.read().decode(errors="replace").strip().splitlines()[-1:]
            said = f": {last[0][:200]}" if last else ""
            raise HookFailed(f"on-close hook for poll {poll.id} exited with status {proc.returncode}{said}")
    log.info("on-close hook for poll %s succeeded", poll.id)


def _kill(proc: subprocess.Popen) -> None:
    """The hook and anything it started: it leads its own process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_running_hooks() -> None:
    """On shutdown: a hook still running past the grace period is stopped, not orphaned."""
    with _running_lock:
        for proc in _running:
            _kill(proc)
