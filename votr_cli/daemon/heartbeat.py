"""The daemon's heartbeat in votr.db: who runs, since when, last seen when."""

from __future__ import annotations

import os
import socket
import sqlite3
from datetime import datetime, timedelta
from typing import NamedTuple

from .. import __version__
from ..store import transaction
from ..timefmt import from_iso, to_iso

BEAT_EVERY_S = 2.0
# A beat older than this means the daemon is gone (killed, or its host is down).
STALE_AFTER = timedelta(seconds=10)


class DaemonInfo(NamedTuple):
    pid: int
    host: str
    started_at: datetime
    last_beat: datetime
    version: str

    def to_json(self) -> dict:
        return {
            "running": True,
            "pid": self.pid,
            "host": self.host,
            "started_at": to_iso(self.started_at),
            "last_beat": to_iso(self.last_beat),
            "version": self.version,
        }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def live_daemon(conn: sqlite3.Connection, now: datetime) -> DaemonInfo | None:
    """The daemon holding this home, if its heartbeat is fresh and its process alive."""
    row = conn.execute("SELECT pid, host, started_at, last_beat, version FROM daemon WHERE id = 1").fetchone()
    if row is None:
        return None
    info = DaemonInfo(row["pid"], row["host"], from_iso(row["started_at"]), from_iso(row["last_beat"]), row["version"])
    if now - info.last_beat > STALE_AFTER:
        return None
    if info.host == socket.gethostname() and not _pid_alive(info.pid):
        return None
    return info


def beat(conn: sqlite3.Connection, now: datetime, started_at: datetime) -> None:
    with transaction(conn):
        conn.execute(
            """INSERT INTO daemon (id, pid, host, started_at, last_beat, version) VALUES (1, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host,
               started_at = excluded.started_at, last_beat = excluded.last_beat, version = excluded.version""",
            (os.getpid(), socket.gethostname(), to_iso(started_at), to_iso(now), __version__),
        )


def clear(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM daemon WHERE id = 1 AND pid = ?", (os.getpid(),))


NO_DAEMON_HINT = (
    "hint: no daemon is running: polls stop taking votes on time, "
    "but results are finalised only when `votr daemon` runs"
)
