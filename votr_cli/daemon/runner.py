"""`votr daemon`: one per home; reconcile, then run the consumer until a signal."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from .. import lifecycle, store
from ..errors import VotrError
from ..paths import QUEUE_NAME
from ..timefmt import to_iso, utcnow
from . import heartbeat, tasks
from .queue import VotrHuey, make_queue, refile_schedule, schedule_close

log = logging.getLogger("votr.daemon")

RECONCILE_EVERY_S = 30.0
SHUTDOWN_GRACE_S = 4.0  # SIGTERM must end the daemon within 5 s


class AlreadyRunning(VotrError):
    pass


def take_lock(home: Path, conn: sqlite3.Connection) -> int:
    """An exclusive lock on the home folder itself; the kernel drops it when we die, so it is never stale.

    Not a lock file: in a group home another member could delete, replace or
    plant one (a symlink to a file of yours). Nobody but the folder's parent's
    writers can swap the folder itself.
    """
    fd = os.open(home, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        info = heartbeat.live_daemon(conn, utcnow())
        holder = f"pid {info.pid}" if info else "starting or stopping"
        raise AlreadyRunning(f"a daemon is already running on {str(home)!r} ({holder})") from None
    return fd


class _OneLineErrors(logging.Filter):
    """Huey logs a failing task with its traceback; a failing hook is one line in our log instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], tasks.HookFailed):
            return False
        return True


def setup_logging(log_file: Path | None, verbose: bool) -> None:
    # One zone for every line, whatever TZ says and whatever it does at a
    # daylight-saving change: UTC, marked as such.
    fmt = logging.Formatter("%(asctime)s.%(msecs)03d UTC %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    fmt.converter = time.gmtime
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        try:
            handlers.append(logging.FileHandler(log_file))
        except OSError as exc:
            raise VotrError(f"cannot write the log file {str(log_file)!r}: {exc.strerror}") from None
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(fmt)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("huey").setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("huey").addFilter(_OneLineErrors())


def _queued(huey: VotrHuey, name: str) -> set[tuple[int, str]]:
    return {
        (task.args[0], task.args[1])
        for task in [*huey.pending(), *huey.scheduled()]
        if type(task).__name__ == name and len(task.args) == 2
    }


def reconcile(huey: VotrHuey, conn: sqlite3.Connection) -> tuple[int, int]:
    """Invariant 3: finalise what is overdue now; give every open poll a pending close.

    Returns (overdue polls queued now, open polls that had lost their task).
    """
    queued = _queued(huey, "close_poll")
    now = utcnow()
    overdue = missing = 0
    for poll in lifecycle.awaiting_close(conn):
        ended = poll.ended_at(now)
        if ended is not None:
            schedule_close(huey, poll.id, ended, due=True)
            overdue += 1
        elif (poll.id, to_iso(poll.closes_at)) not in queued:
            schedule_close(huey, poll.id, poll.closes_at)
            missing += 1
    return overdue, missing


def requeue_hooks(huey: VotrHuey, conn: sqlite3.Connection) -> int:
    """Hooks of closings finalised before a crash, and not yet run: run them now."""
    if not huey.on_close:
        return 0
    queued = _queued(huey, "run_hook")
    missing = [
        (pid, to_iso(ended)) for pid, ended in lifecycle.hooks_pending(conn) if (pid, to_iso(ended)) not in queued
    ]
    for pid, ended in missing:
        huey.hook_task(pid, ended)
    return len(missing)


def _open_queue(home: Path) -> VotrHuey:
    """The home's queue; a damaged one, or anything but a regular file in its place, is set aside."""
    try:
        huey = make_queue(home)
        huey.storage.next_due()  # opens and reads it: a damaged file shows now, not at the first close
        return huey
    except (sqlite3.DatabaseError, store.StoreError) as exc:
        # The queue is only a reminder (invariant 3): set it aside and start afresh.
        path = home / QUEUE_NAME
        aside = path.with_name(f"queue.db.damaged-{time.time_ns()}")
        log.warning("queue %s is unusable (%s); moved it to %s and starting a new one", path, exc, aside.name)
        for suffix in ("", "-wal", "-shm"):
            try:
                os.rename(f"{path}{suffix}", f"{aside}{suffix}")  # renames a symlink, never its target
            except FileNotFoundError:
                pass
        return make_queue(home)


def _housekeeping(stop: threading.Event, home: Path, huey: VotrHuey, started_at: datetime) -> None:
    """The heartbeat every few seconds; every half minute, reconcile again.

    Reconciling only at start would leave a poll unclosed until the next
    restart if the CLI could not write its task to the queue.
    """
    conn = store.connect(home)
    next_reconcile = time.monotonic() + RECONCILE_EVERY_S
    try:
        while not stop.wait(heartbeat.BEAT_EVERY_S):
            try:
                heartbeat.beat(conn, utcnow(), started_at)
                if time.monotonic() >= next_reconcile:
                    next_reconcile = time.monotonic() + RECONCILE_EVERY_S
                    overdue, missing = reconcile(huey, conn)
                    if overdue or missing:
                        log.warning("found %s overdue poll(s) and %s lost close(s); queued them", overdue, missing)
            except sqlite3.Error as exc:
                log.warning("housekeeping failed this time: %s", exc)
    finally:
        conn.close()


def run_daemon(
    home: Path,
    workers: int,
    on_close: str | None,
    log_file: Path | None,
    verbose: bool = False,
    hook_timeout: float = tasks.HOOK_TIMEOUT_S,
) -> None:
    from .consumer import VotrConsumer

    setup_logging(log_file, verbose)
    conn = store.connect(home)
    lock_fd = take_lock(home, conn)
    started_at = utcnow()
    huey = _open_queue(home)
    huey.on_close = on_close
    huey.hook_timeout = hook_timeout
    huey.hook_slots = threading.BoundedSemaphore(max(1, workers - 1))
    refiled = refile_schedule(huey)
    if refiled:
        log.info("moved %s scheduled task(s) written by an older votr to their UTC times", refiled)
    overdue, missing = reconcile(huey, conn)
    hooks = requeue_hooks(huey, conn)
    stop_beat = threading.Event()
    beater = threading.Thread(
        target=_housekeeping, args=(stop_beat, home, huey, started_at), name="housekeeping", daemon=True
    )

    def announce() -> None:
        heartbeat.beat(conn, utcnow(), started_at)
        beater.start()
        log.info(
            "votr daemon started: pid %s, home %s, %s worker(s); %s overdue poll(s) closing now, "
            "%s close(s) rescheduled",
            os.getpid(),
            home,
            workers,
            overdue,
            missing,
        )
        if hooks:
            log.info("%s on-close hook(s) left over from before a crash: running them now", hooks)

    consumer = VotrConsumer(
        huey, workers=workers, worker_type="thread", shutdown_timeout=SHUTDOWN_GRACE_S, initial_delay=0.05
    )
    consumer.on_started = announce
    try:
        consumer.run()
    finally:
        tasks.kill_running_hooks()
        stop_beat.set()
        if beater.is_alive():
            beater.join(timeout=2)
        heartbeat.clear(conn)
        conn.close()
        os.close(lock_fd)
        log.info("votr daemon stopped")
