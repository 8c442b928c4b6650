"""The poll store: one SQLite file, opened with the stdlib for speed.

Every command opens the store through `connect`. The hot path costs two
PRAGMA reads; sqlite-utils is imported only when a schema has to be created or
migrated, which happens once per database and per upgrade.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import VotrError
from .paths import DB_NAME

# 'votr' in ASCII: marks a database as ours, so a stranger's votr.db is refused
# rather than migrated into.
APPLICATION_ID = 0x766F7472
SCHEMA_VERSION = 3
BUSY_TIMEOUT_S = 30.0


class StoreError(VotrError):
    """The files under the home folder cannot be used."""


Home = str | os.PathLike[str]


def file_mode(home: Home) -> int:
    """0660 in a group-shared (setgid) folder, else 0600."""
    try:
        shared = bool(os.stat(home).st_mode & stat.S_ISGID)
    except OSError:
        shared = False
    return 0o660 if shared else 0o600


def prepare_home(home: Home) -> None:
    """Make sure `home` is a folder we can write, creating it if missing."""
    home = os.fspath(home)
    if os.path.exists(home) and not os.path.isdir(home):
        raise StoreError(f"home {home!r} is not a folder")
    if not os.path.exists(home):
        try:
            os.makedirs(home, mode=0o700)
        except OSError as exc:
            raise StoreError(f"cannot create home folder {home!r}: {exc.strerror}") from None
    if not os.access(home, os.W_OK | os.X_OK):
        raise StoreError(f"cannot write to home folder {home!r}: permission denied")


def create_file(path: Home, mode: int) -> None:
    """Create `path` empty with exactly `mode` (umask aside) unless it exists.

    SQLite gives its -wal and -shm files the mode of the database file, so
    setting it here decides who can read the polls.
    """
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, mode)


def connect(home: Home) -> sqlite3.Connection:
    """Open `home`/votr.db, creating or migrating its schema when needed."""
    prepare_home(home)
    path = os.path.join(home, DB_NAME)
    create_file(path, file_mode(home))
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path!r} is not a votr database ({exc}); move it away or use another --home") from None
    if app_id != APPLICATION_ID or version != SCHEMA_VERSION:
        try:
            _upgrade(conn, path)
        except BaseException:
            conn.close()
            raise
    return conn


def _check_ours(conn: sqlite3.Connection, path: str) -> int:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if app_id == 0 and version == 0:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(f"{path!r} is not a votr database; move it away or use another --home")
    elif app_id != APPLICATION_ID:
        raise StoreError(f"{path!r} is not a votr database; move it away or use another --home")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path!r} was written by a newer votr (schema {version}, this votr knows {SCHEMA_VERSION}); upgrade votr"
        )
    return version


def _upgrade(conn: sqlite3.Connection, path: str) -> None:
    try:
        _check_ours(conn, path)
        # journal_mode cannot change inside a transaction; it persists in the file.
        conn.execute("PRAGMA journal_mode = WAL")
        with transaction(conn):
            # Re-read under the write lock: another process may have migrated meanwhile.
            if _check_ours(conn, path) == SCHEMA_VERSION:
                return
            from .migrations import migrate

            migrate(conn)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise
        raise StoreError(
            f"{path!r} is not a usable votr database ({exc}); move it away or use another --home"
        ) from None


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that holds the write lock from its first statement.

    BEGIN IMMEDIATE means every check made inside it still holds at COMMIT:
    nothing else can write in between.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
