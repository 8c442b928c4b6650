"""`votr daemon`: one per home; reconcile, then run the consumer until a signal."""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import sqlite3
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from .. import lifecycle, reminders, store
from ..errors import VotrError
from ..outcome import plural
from ..paths import QUEUE_NAME
from ..timefmt import from_iso, to_iso, utcnow
from . import heartbeat, tasks, watch
from .queue import VotrHuey, make_queue, refile_schedule, schedule_close, schedule_reminder

log = logging.getLogger("votr.daemon")

WATCH_EVERY_S = 0.5  # how soon votr.db's changes are read (new deadlines, early closes)
SHUTDOWN_GRACE_S = 3.0  # a running close may finish; SIGTERM must end the daemon within 5 s
STOP_WAIT_S = 0.5  # for votr.db's write lock, to record the stop


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
        # A damaged queue shows as failing tasks; the watch logs it once and rebuilds the queue.
        if record.exc_info and isinstance(record.exc_info[1], tasks.HookFailed | sqlite3.DatabaseError):
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
        # On the handlers, not on the "huey" logger: a logger's filters do not see its children's records.
        handler.addFilter(_OneLineErrors())
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("huey").setLevel(logging.DEBUG if verbose else logging.WARNING)


def _queued(huey: VotrHuey, name: str) -> set[tuple]:
    """The arguments of every task of this name the queue holds, pending or scheduled."""
    return {tuple(task.args) for task in [*huey.pending(), *huey.scheduled()] if type(task).__name__ == name}


def reconcile(huey: VotrHuey, conn: sqlite3.Connection, queue_is_new: bool = False) -> tuple[int, int]:
    """Invariant 3: finalise what is overdue now; give every open poll a pending close.

    Returns (overdue polls queued now, open polls that had lost their task).
    Reading what the queue holds means unpickling every task: done at start
    only; a queue just rebuilt holds nothing.
    """
    queued = set() if queue_is_new else _queued(huey, "close_poll")
    now = utcnow()
    overdue = missing = 0
    for poll in lifecycle.awaiting_deadlines(conn):
        ended = poll.ended_at(now)
        if ended is not None:
            schedule_close(huey, poll.id, ended, due=True)
            overdue += 1
        elif (poll.id, to_iso(poll.closes_at)) not in queued:
            schedule_close(huey, poll.id, poll.closes_at)
            missing += 1
    return overdue, missing


def reconcile_reminders(huey: VotrHuey, conn: sqlite3.Connection, queue_is_new: bool = False) -> tuple[int, int, int]:
    """Every armed reminder of an open poll has a task; returns (overdue, re-queued, cut short and run again).

    A reminder whose time passed while no daemon ran goes out now, its poll
    being open; one of a poll that has closed never does.
    """
    if not huey.on_remind:
        return 0, 0, 0
    queued = set() if queue_is_new else _queued(huey, "remind")
    now, overdue, missing, again = utcnow(), 0, 0, 0
    for reminder in reminders.armed(conn, now):
        overdue += reminder.due_at <= now  # queued or not, it goes out now
        if (reminder.poll_id, reminder.before_s, to_iso(reminder.due_at)) not in queued:
            schedule_reminder(huey, reminder)
            missing += reminder.due_at > now
    # Claimed, but the command never finished (the daemon stopped or died meanwhile): run it again.
    running = set() if queue_is_new else _queued(huey, "remind_hook")
    for reminder in reminders.armed(conn, now, state="sending"):
        args = (reminder.poll_id, reminder.before_s, to_iso(reminder.due_at))
        if args not in running:
            huey.remind_hook_task(*args)
            again += 1
    return overdue, missing, again


def requeue_hooks(huey: VotrHuey, conn: sqlite3.Connection, queue_is_new: bool = False) -> int:
    """Hooks of closings finalised before a crash (or a lost queue), and not yet run: run them now."""
    if not huey.on_close:
        return 0
    queued = set() if queue_is_new else _queued(huey, "run_hook")
    missing = [
        (pid, to_iso(ended)) for pid, ended, _ in lifecycle.hooks_pending(conn) if (pid, to_iso(ended)) not in queued
    ]
    for pid, ended in missing:
        huey.hook_task(pid, ended)
    return len(missing)


def _open_queue(home: Path) -> VotrHuey:
    """The home's queue; a damaged one, or anything but a regular file in its place, is set aside."""
    path = home / QUEUE_NAME
    try:
        huey = make_queue(home)
        if [tuple(r) for r in huey.storage.sql("PRAGMA quick_check", results=True)] == [("ok",)]:
            return huey
        problem = "fails its integrity check"
        huey.storage.close()
    except (sqlite3.DatabaseError, store.StoreError, UnicodeDecodeError) as exc:
        problem = str(exc)
    # The queue is only a reminder (invariant 3): set it aside and start afresh.
    aside = path.with_name(f"queue.db.damaged-{time.time_ns()}")
    log.warning("queue %s is unusable (%s); moved it to %s and starting a new one", path, problem, aside.name)
    for suffix in ("", "-wal", "-shm"):
        try:
            os.rename(f"{path}{suffix}", f"{aside}{suffix}")  # renames a symlink, never its target
        except FileNotFoundError:
            pass
    return make_queue(home)


class Checkpointer:
    """Moves both WALs' pages into their databases, here rather than inside a close's commit.

    PASSIVE checkpoints never wait for, nor block, a writer; queue.db's runs
    on a connection of its own, so Huey's shared one (and its lock) is never
    held for it.
    """

    def __init__(self, conn: sqlite3.Connection, queue_path: Path) -> None:
        self.conn = conn
        self.queue_path = queue_path
        self.queue: sqlite3.Connection | None = None

    def run(self) -> None:
        if tasks.scrub_pending.is_set():
            # An anonymous poll was sealed while a reader held the WAL: empty it now.
            if store.truncate_wal(self.conn):
                tasks.scrub_pending.clear()
        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        if self.queue is None:
            if store.check_plain(str(self.queue_path)) is None:
                return  # gone: the guard rebuilds it; connecting would create it with no say over its mode
            self.queue = sqlite3.connect(self.queue_path, timeout=1, isolation_level=None)
        self.queue.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def reopen(self) -> None:
        """After the queue was rebuilt: the old connection reads a file set aside."""
        if self.queue is not None:
            self.queue.close()
            self.queue = None


def _housekeeping(stop: threading.Event, home: Path, huey: VotrHuey, started_at: datetime) -> None:
    """The heartbeat every few seconds, and the watch that keeps closes coming whatever befalls the queue.

    Each turn costs a PRAGMA (did anyone write votr.db?) and an lstat of
    queue.db; the rest runs only when one of them says something changed.
    """
    conn = store.connect(home)
    deadlines = watch.Deadlines(conn)
    guard = watch.QueueGuard(huey)
    checkpoints = Checkpointer(conn, home / QUEUE_NAME)
    next_beat = next_guard = 0.0
    try:
        while not stop.is_set():
            try:
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + heartbeat.BEAT_EVERY_S
                    heartbeat.beat(conn, utcnow(), started_at)
                    checkpoints.run()
                if time.monotonic() >= next_guard:
                    next_guard = time.monotonic() + watch.QueueGuard.CHECK_EVERY_S
                    reason = guard.trouble()
                    if reason is not None:
                        checkpoints.reopen()
                        guard.rebuild(reason)
                        reconcile(huey, conn, queue_is_new=True)
                        reconcile_reminders(huey, conn, queue_is_new=True)
                        requeue_hooks(huey, conn, queue_is_new=True)
                moved = deadlines.catch_up()
                if moved and huey.on_remind:
                    # A reminder the CLI could not queue still comes: queue the new polls' reminders
                    # here too (claiming makes a second task for the same reminder a no-op).
                    for reminder in reminders.armed(conn, utcnow(), moved):
                        schedule_reminder(huey, reminder)
                watch.close_overdue(huey, deadlines.overdue(time.time()), deadlines.direct())
            except (sqlite3.Error, store.StoreError, OSError, UnicodeDecodeError) as exc:
                log.warning("housekeeping failed this time: %s", exc)
                huey.storage.suspect = True
            check = deadlines.next_check()
            pause = WATCH_EVERY_S if check is None else min(WATCH_EVERY_S, max(check - time.time(), 0.0))
            stop.wait(pause)
    finally:
        checkpoints.reopen()
        conn.close()


def run_daemon(
    home: Path,
    workers: int,
    on_close: str | None,
    log_file: Path | None,
    verbose: bool = False,
    hook_timeout: float = tasks.HOOK_TIMEOUT_S,
    on_remind: str | None = None,
) -> None:
    from .consumer import VotrConsumer

    setup_logging(log_file, verbose)
    store.autocheckpoint = False  # the housekeeping thread checkpoints, off the closes' path
    conn = store.connect(home)
    lock_fd = take_lock(home, conn)
    # An anonymous poll sealed while a reader held the WAL may have left old pages there.
    store.truncate_wal(conn)
    started_at = utcnow()
    huey = _open_queue(home)
    huey.on_close = on_close
    huey.on_remind = on_remind
    huey.hook_timeout = hook_timeout
    huey.hook_slots = threading.BoundedSemaphore(max(1, workers - 1))
    refiled = refile_schedule(huey)
    if refiled:
        log.info("moved %s written by an older votr to their UTC times", plural(refiled, "scheduled task"))
    overdue, missing = reconcile(huey, conn)
    late_reminders, _, resent = reconcile_reminders(huey, conn)
    interrupted = sum(1 for _, _, state in lifecycle.hooks_pending(conn) if state == "interrupted")
    hooks = requeue_hooks(huey, conn)
    stop_beat = threading.Event()
    beater = threading.Thread(
        target=_housekeeping, args=(stop_beat, home, huey, started_at), name="housekeeping", daemon=True
    )

    def announce() -> None:
        # The log first: whoever sees the heartbeat (status says running) finds these lines already written.
        log.info(
            "votr daemon started: pid %s, home %s, %s; %s closing now, %s rescheduled",
            os.getpid(),
            home,
            plural(workers, "worker"),
            plural(overdue, "overdue poll"),
            plural(missing, "close"),
        )
        if late_reminders:
            said = plural(late_reminders, "reminder")
            log.info("%s fell due while no daemon ran; their polls are open: sending now", said)
        if resent:
            said = plural(resent, "reminder")
            log.info("%s cut short when the daemon last stopped: running the on-remind command again", said)
        if interrupted:
            said = plural(interrupted, "on-close hook")
            log.info("%s cut short when the daemon last stopped: running them again", said)
        if hooks > interrupted:
            log.info("%s left over from before a crash: running them now", plural(hooks - interrupted, "on-close hook"))
        heartbeat.beat(conn, utcnow(), started_at)
        beater.start()

    consumer = VotrConsumer(
        huey, workers=workers, worker_type="thread", shutdown_timeout=SHUTDOWN_GRACE_S, initial_delay=0.05
    )
    consumer.on_started = announce
    # Start-up made many objects that live as long as the daemon (thousands
    # of deadlines, Huey's machinery): move them out of the cyclic collector's
    # reach, so a full collection never walks them while a close waits.
    gc.collect()
    gc.freeze()
    try:
        consumer.run()
    finally:
        # Whatever holds votr.db's write lock now, the daemon is gone within
        # SHUTDOWN_GRACE_S plus the short waits below (SIGTERM: <= 5 s).
        # A hook still running after the grace period is stopped (never orphaned) and runs again on start.
        cut_short = tasks.kill_running_hooks()
        stop_beat.set()
        if beater.is_alive():
            beater.join(timeout=0.5)
        conn.execute(f"PRAGMA busy_timeout = {int(STOP_WAIT_S * 1000)}")
        try:
            for poll_id, ended_at in cut_short:
                log.info("on-close hook for poll %s cut short: the daemon is stopping; it runs again on start", poll_id)
                lifecycle.set_hook_state(conn, poll_id, from_iso(ended_at), "interrupted")
            heartbeat.clear(conn)
        except sqlite3.Error as exc:
            log.warning("could not record the stop in votr.db (%s); `votr status` sees it within seconds", exc)
        conn.close()
        os.close(lock_fd)
        log.info("votr daemon stopped")
