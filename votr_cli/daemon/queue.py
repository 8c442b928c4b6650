"""The one Huey instance of a home: SqliteHuey on queue.db, with votr's two tasks.

The CLI and the daemon both build it here, so both register the tasks under
the same names (Huey finds a task by `module.name`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from huey import SqliteHuey
from huey.exceptions import RetryTask
from huey.storage import SqliteStorage

from .. import lifecycle, reminders, store
from ..paths import QUEUE_NAME
from ..timefmt import from_iso, to_iso
from . import tasks

log = logging.getLogger("votr.daemon")

CLOSE_PRIORITY = 10  # a close is never kept waiting behind an on-close hook
HOOK_PRIORITY = 0


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


class QueueStorage(SqliteStorage):
    """Huey's SQLite storage, keeping schedule timestamps in UTC.

    Huey hands the storage naive UTC datetimes (`utc=True`), and SqliteStorage
    turns them into floats with `datetime.timestamp()`, which reads a naive
    datetime as local time: across a daylight-saving change in the daemon's
    zone that puts a task an hour off, and due tasks bounce between queue and
    schedule. Read as UTC, the floats are real Unix times.
    """

    def _create_connection(self):  # noqa: ANN202 - Huey's signature
        # Each thread opens its own connection, and queue.db sits in a home
        # other members may write: the same checks as votr.db (invariant 9).
        path = self.filename
        checked = store.create_file(path, store.file_mode(os.path.dirname(path)))
        for suffix in ("-wal", "-shm", "-journal"):
            store.check_plain(path + suffix)
        conn = super()._create_connection()
        if not store.opened_as_checked(conn, path, checked):
            conn.close()
            raise store.StoreError(f"{path!r} was replaced while votr opened it; votr uses only regular files there")
        # Losing the queue loses nothing (the daemon rebuilds it from votr.db),
        # so its commits need not wait for fsync; WAL keeps the file consistent.
        conn.execute("PRAGMA synchronous = NORMAL")
        if not store.autocheckpoint:
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # see store.autocheckpoint
        return conn

    suspect = False  # an operation failed as if the file were damaged: the daemon checks it now

    @contextlib.contextmanager
    def db(self, commit: bool = False, close: bool = False) -> Iterator[sqlite3.Cursor]:
        try:
            with super().db(commit, close) as curs:
                yield curs
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            # A damaged schema can even make SQLite's message undecodable.
            if not isinstance(exc, sqlite3.OperationalError) or "locked" not in str(exc):
                self.suspect = True
            raise

    def add_to_schedule(self, data: bytes, ts: datetime) -> None:
        super().add_to_schedule(data, _utc(ts))

    def read_schedule(self, ts: datetime) -> list[bytes]:
        return super().read_schedule(_utc(ts))

    def next_due(self) -> float | None:
        """The Unix time of the earliest scheduled task, if any."""
        rows = self.sql("SELECT min(timestamp) FROM schedule WHERE queue = ?", (self.name,), results=True)
        return rows[0][0]


class VotrHuey(SqliteHuey):
    storage_class = QueueStorage
    home: Path
    # Set by the consumer: wakes idle workers. A task this process enqueues
    # moves no data_version, so without it the workers would not see it.
    wake_workers: threading.Event | None = None

    def enqueue(self, task):  # noqa: ANN001, ANN201 - Huey's signature
        result = super().enqueue(task)
        if self.wake_workers is not None:
            self.wake_workers.set()
        return result

    on_close: str | None = None
    on_remind: str | None = None
    hook_timeout: float = tasks.HOOK_TIMEOUT_S
    # Hooks may use all workers but one, so a slow hook never holds up a close.
    hook_slots: threading.BoundedSemaphore = threading.BoundedSemaphore(1)


def make_queue(home: store.Home, timeout: float = 30) -> VotrHuey:
    home = Path(home)
    path = home / QUEUE_NAME
    huey = VotrHuey("votr", filename=str(path), results=False, utc=True, timeout=timeout)
    huey.home = home

    # Thin closures: the task names stay fixed while the home and the hook come from this instance.
    def close_poll(poll_id: int, ended_at: str) -> None:
        if tasks.close_poll(huey.home, poll_id, ended_at, with_hook=bool(huey.on_close)) is not None:
            huey.hook_task(poll_id, ended_at)

    def run_hook(poll_id: int, ended_at: str) -> None:
        if not huey.on_close:
            return
        if not huey.hook_slots.acquire(blocking=False):
            raise RetryTask(delay=0.25)  # all hook slots busy: leave this worker to closes
        try:
            done = tasks.run_hook(huey.home, huey.on_close, poll_id, ended_at, huey.hook_timeout)
        finally:
            huey.hook_slots.release()
        if done:
            mark_hook(huey.home, poll_id, ended_at, "done")

    def remind(poll_id: int, before_s: int, due_at: str) -> None:
        if not huey.on_remind:
            return  # left armed: a daemon started with --on-remind sends it while the poll is open
        if tasks.claim_reminder(huey.home, reminders.Reminder(poll_id, before_s, from_iso(due_at))):
            huey.remind_hook_task(poll_id, before_s, due_at)

    def remind_hook(poll_id: int, before_s: int, due_at: str) -> None:
        if not huey.on_remind:
            return
        if not huey.hook_slots.acquire(blocking=False):
            raise RetryTask(delay=0.25)
        try:
            reminder = reminders.Reminder(poll_id, before_s, from_iso(due_at))
            tasks.run_reminder_hook(huey.home, huey.on_remind, reminder, huey.hook_timeout)
        finally:
            huey.hook_slots.release()

    huey.remind_task = huey.task(name="remind", priority=CLOSE_PRIORITY, retries=3, retry_delay=1)(remind)
    huey.remind_hook_task = huey.task(
        name="remind_hook", priority=HOOK_PRIORITY, retries=2, retry_delay=1, retry_backoff=2
    )(remind_hook)
    huey.close_task = huey.task(name="close_poll", priority=CLOSE_PRIORITY, retries=3, retry_delay=1)(close_poll)
    huey.hook_task = huey.task(name="run_hook", priority=HOOK_PRIORITY, retries=2, retry_delay=1, retry_backoff=2)(
        run_hook
    )
    return huey


def refile_schedule(huey: VotrHuey) -> int:
    """Recompute every scheduled task's time from its own eta; returns how many moved.

    Versions before 0.2 stored local-time floats (see QueueStorage): without
    this, a queue they left would close polls hours late west of Greenwich.
    """
    storage, moved = huey.storage, 0
    with storage.db(commit=True) as curs:
        rows = curs.execute("SELECT id, data, timestamp FROM schedule WHERE queue = ?", (storage.name,)).fetchall()
        for row_id, data, stamp in rows:
            try:
                task = huey.deserialize_task(data)
            except Exception:  # a task we cannot read is for Huey to report when it runs
                continue
            due = _utc(task.eta or datetime.fromtimestamp(0, UTC)).timestamp()
            if due != stamp:
                curs.execute("UPDATE schedule SET timestamp = ? WHERE id = ?", (due, row_id))
                moved += 1
    return moved


def mark_hook(home: store.Home, poll_id: int, ended_at: str, state: str) -> None:
    conn = store.connect(home)
    try:
        lifecycle.set_hook_state(conn, poll_id, from_iso(ended_at), state)
    finally:
        conn.close()


def schedule_close(huey: VotrHuey, poll_id: int, ended_at: datetime, due: bool = False) -> None:
    """Ask the daemon to finalise the closing that ends at `ended_at`; now when `due`."""
    if due:
        huey.close_task(poll_id, to_iso(ended_at))
    else:
        huey.close_task.schedule(args=(poll_id, to_iso(ended_at)), eta=ended_at)


def schedule_reminder(huey: VotrHuey, reminder: reminders.Reminder) -> None:
    """Ask the daemon to send a reminder at its time (at once, if that has passed)."""
    args = (reminder.poll_id, reminder.before_s, to_iso(reminder.due_at))
    huey.remind_task.schedule(args=args, eta=reminder.due_at)


def request_close(
    home: store.Home,
    poll_id: int,
    ended_at: datetime,
    due: bool = False,
    to_remind: Sequence[reminders.Reminder] = (),
) -> str | None:
    """For the CLI: queue a close (and the poll's reminders), or return why it could not.

    The daemon's start-up repairs what could not be queued.
    """
    import sqlite3

    try:
        # A short wait: the queue is a reminder, and a running daemon closes the poll without it.
        huey = make_queue(home, timeout=5)
        schedule_close(huey, poll_id, ended_at, due)
        for reminder in to_remind:
            schedule_reminder(huey, reminder)
        huey.storage.close()
    except (OSError, sqlite3.Error, store.StoreError, UnicodeDecodeError) as exc:
        # The poll store is the truth: a running daemon sees the new poll there and closes it on time anyway.
        # (Garbage in queue.db can make even SQLite's error message undecodable.)
        where = str(Path(home, QUEUE_NAME))
        return f"could not queue the close in {where!r} ({exc}); a running daemon closes it anyway"
    return None
