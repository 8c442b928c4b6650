"""What keeps the daemon honest while it runs (DESIGN.md invariant 3).

Huey's schedule is the fast path: a close queued by the CLI lands a few
milliseconds after its deadline. This module is the net under it, so that
nothing the queue loses is lost:

- `Deadlines` knows every poll not yet finalised, from votr.db. It catches up
  when anyone else writes votr.db (`PRAGMA data_version`, then only the new
  events), and a poll still unfinalised `GRACE_S` after it was due is closed
  by the daemon itself: a close the CLI could not queue is still on time.
- `QueueGuard` notices a queue.db deleted, replaced, emptied or damaged
  under the running daemon, sets it aside, starts a fresh one and
  reconciles.
"""

from __future__ import annotations

import heapq
import logging
import os
import sqlite3
import stat
import time

from .. import lifecycle, store
from ..paths import QUEUE_NAME
from ..timefmt import to_iso, utcnow
from .queue import VotrHuey, schedule_close

log = logging.getLogger("votr.daemon")

GRACE_S = 0.5  # the queued close lands within milliseconds; past this, it is not coming
RETRY_S = 1.0  # how soon the watch looks again at a close it queued itself
# Kinds of event after which a poll's close may be due at another time (or now).
_MOVES = ("created", "extended", "reopened", "closed early")


class Deadlines:
    """Every poll awaiting its close, by due time, kept in step with votr.db."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.due: dict[int, float] = {}
        self.fired: dict[int, int] = {}  # poll -> how often the watch found it overdue
        self.heap: list[tuple[float, int]] = []
        self.version = self._data_version()
        row = conn.execute("SELECT max(id) FROM events").fetchone()
        self.last_event = row[0] or 0
        for poll in lifecycle.awaiting_deadlines(conn):
            self._track(poll)

    def _data_version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def _track(self, poll: lifecycle.Awaiting) -> None:
        ts = poll.due.timestamp()
        if self.due.get(poll.id) != ts:
            self.due[poll.id] = ts
            heapq.heappush(self.heap, (ts, poll.id))

    def catch_up(self) -> list[int]:
        """Read what others changed since last time; returns the polls that moved. Cheap when nothing did."""
        version = self._data_version()
        if version == self.version:
            return []
        self.version = version
        rows = self.conn.execute(
            f"SELECT id, poll_id FROM events WHERE id > ? AND kind IN ({','.join('?' * len(_MOVES))})",
            (self.last_event, *_MOVES),
        ).fetchall()
        row = self.conn.execute("SELECT max(id) FROM events").fetchone()
        self.last_event = max(self.last_event, row[0] or 0)
        moved = sorted({r[1] for r in rows})
        if moved:
            for poll in lifecycle.awaiting_deadlines(self.conn, moved):
                self._track(poll)
        return moved

    def next_check(self) -> float | None:
        """The Unix time at which the earliest tracked close is overdue, if any."""
        while self.heap and self.due.get(self.heap[0][1]) != self.heap[0][0]:
            heapq.heappop(self.heap)  # superseded by a later entry for the same poll
        return self.heap[0][0] + GRACE_S if self.heap else None

    def overdue(self, now: float) -> list[lifecycle.Awaiting]:
        """Polls due more than GRACE_S ago that are still not finalised: their queued close did not come."""
        ids = []
        while (check := self.next_check()) is not None and check <= now:
            _, poll_id = heapq.heappop(self.heap)
            del self.due[poll_id]
            ids.append(poll_id)
        if not ids:
            return []
        at, left = utcnow(), []
        found = lifecycle.awaiting_deadlines(self.conn, ids)
        for gone in set(ids) - {p.id for p in found}:
            self.fired.pop(gone, None)  # finalised (or deleted): nothing more to watch
        for poll in found:
            if poll.ended_at(at) is None:
                self._track(poll)  # extended meanwhile: watch its new deadline
                continue
            left.append(poll)
            # Look again shortly: a close queued now might not run either (a damaged queue).
            self.fired[poll.id] = self.fired.get(poll.id, 0) + 1
            self.due[poll.id] = now + RETRY_S - GRACE_S
            heapq.heappush(self.heap, (self.due[poll.id], poll.id))
        return left

    def direct(self) -> set[int]:
        """Polls whose close was already queued once by the watch and still did not come."""
        return {p for p, n in self.fired.items() if n > 1}


def close_overdue(huey: VotrHuey, polls: list[lifecycle.Awaiting], direct: set[int]) -> None:
    """Close what the queue did not: through the queue if it works, else (or the second time) right here."""
    from . import tasks

    at = utcnow()
    for poll in polls:
        ended = poll.ended_at(at)
        assert ended is not None
        if poll.id not in direct:
            log.warning("poll %s was due at %s and its close never came; closing it now", poll.id, to_iso(ended))
        try:
            if poll.id in direct:
                raise store.StoreError("its queued close did not run either")
            schedule_close(huey, poll.id, ended, due=True)
        except (sqlite3.Error, store.StoreError, OSError, UnicodeDecodeError) as exc:
            log.warning("cannot queue it (%s); closing poll %s directly", exc, poll.id)
            if tasks.close_poll(huey.home, poll.id, to_iso(ended), with_hook=bool(huey.on_close)) is not None:
                try:
                    huey.hook_task(poll.id, to_iso(ended))
                except (sqlite3.Error, store.StoreError, OSError):
                    pass  # hook_state stays 'pending': the hook runs once the queue is back


class QueueGuard:
    """Notices when queue.db stops being the file the daemon built, or stops being a database."""

    CHECK_EVERY_S = 1.0

    def __init__(self, huey: VotrHuey) -> None:
        self.huey = huey
        self.path = os.path.join(huey.home, QUEUE_NAME)
        self.identity = self._identity()

    def _identity(self) -> tuple[int, int] | None:
        try:
            st = os.lstat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None

    def trouble(self) -> str | None:
        """Why the queue cannot be trusted any more, or None. One lstat; a full check when an operation failed."""
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return "was deleted"
        except OSError as exc:
            return f"cannot be read ({exc.strerror})"
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != self.identity:
            return "was replaced"
        if st.st_size == 0:
            return "was emptied"
        storage = self.huey.storage
        if storage.suspect:
            # Only on demand: a periodic check of a queue of thousands of tasks
            # would hold the storage lock for a large fraction of a second and
            # make closes late. Damage nobody reads harms nothing; damage
            # somebody reads raises, and sets `suspect`.
            storage.suspect = False
            try:
                result = storage.sql("PRAGMA quick_check", results=True)
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                return f"is damaged ({exc})"
            if [tuple(r) for r in result] != [("ok",)]:
                return f"is damaged ({result[0][0]})"
        return None

    def rebuild(self, reason: str) -> None:
        """Set the old queue aside, start an empty one; the caller reconciles."""
        storage = self.huey.storage
        aside = f"{self.path}.damaged-{time.time_ns()}"
        with storage.lock:
            if storage._conn is not None:
                try:
                    storage._conn.close()
                except sqlite3.Error:
                    pass
                storage._conn = None
            moved = []
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.rename(self.path + suffix, aside + suffix)  # a symlink is renamed, never followed
                    moved.append(os.path.basename(aside + suffix))
                except FileNotFoundError:
                    pass
        where = f"; moved it to {moved[0]}" if moved and moved[0].startswith(QUEUE_NAME + ".damaged") else ""
        log.warning(
            "queue %s %s%s: starting a new one and re-queuing every close from votr.db", self.path, reason, where
        )
        storage.initialize_schema()
        self.identity = self._identity()
