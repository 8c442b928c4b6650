"""Following one poll as others vote: re-read it only when someone has written votr.db.

No click, no rich. SQLite cannot notify another process, but `PRAGMA
data_version` (a read of shared memory) moves whenever another connection
commits: asking it a few times a second costs nothing, and the poll itself
is read again only then.
"""

from __future__ import annotations

import sqlite3

from .polls import Poll, get_poll

CHECK_EVERY_S = 0.2  # a vote shows within this (and the time to draw it): well under half a second


class Follower:
    def __init__(self, conn: sqlite3.Connection, poll_id: int) -> None:
        self.conn = conn
        self.poll_id = poll_id
        self.version = self._data_version()
        self.poll: Poll = get_poll(conn, poll_id)

    def _data_version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def refresh(self) -> bool:
        """Read the poll again if anyone wrote the store since; True when that happened."""
        version = self._data_version()
        if version == self.version:
            return False
        self.version = version
        self.poll = get_poll(self.conn, self.poll_id)  # PollNotFound, if it was deleted meanwhile
        return True
