"""The poll store: one SQLite file, opened with the stdlib for speed.

Every command opens the store through `connect`. The hot path costs two
PRAGMA reads; sqlite-utils is imported only when a schema has to be created or
migrated, which happens once per database and per upgrade.
"""

from __future__ import annotations

import errno
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
SCHEMA_VERSION = 7
BUSY_TIMEOUT_S = 30.0
# Whether a commit may run a WAL checkpoint inline (SQLite's default, every
# 1,000 pages). The daemon turns it off for all its connections and
# checkpoints from its housekeeping thread instead: an inline checkpoint
# copies megabytes and fsyncs while the commit waits, which made closes
# ~200 ms late under load.
autocheckpoint = True


class StoreError(VotrError):
    """The files under the home folder cannot be used."""


class NoStore(StoreError):
    """The home holds no poll store yet, and this command does not make one."""


Home = str | os.PathLike[str]

# The files SQLite opens beside a database; it refuses symlinks there itself,
# but with "unable to open database file": we check first to name the file.
_COMPANIONS = ("-wal", "-shm", "-journal")


def file_mode(home: Home) -> int:
    """0660 in a group-shared (setgid) folder, else 0600."""
    try:
        shared = bool(os.stat(home).st_mode & stat.S_ISGID)
    except OSError:
        shared = False
    return 0o660 if shared else 0o600


def prepare_home(home: Home, create: bool = True) -> None:
    """Make sure `home` is a folder we can write; create it only when asked (and only it, not its parents).

    The default home is the exception: its parents (~/.local/share) are made too.
    """
    from .paths import default_home

    home = os.fspath(home)
    try:
        st = os.stat(home)
    except FileNotFoundError:
        if not create:
            raise NoStore(f"no polls in {home!r} yet (the folder does not exist): check --home or VOTR_HOME") from None
        try:
            if home == default_home():
                os.makedirs(home, mode=0o700)
            else:
                os.mkdir(home, 0o700)
        except FileExistsError:
            return prepare_home(home, create)  # another process made it meanwhile
        except FileNotFoundError:
            raise StoreError(
                f"cannot create home folder {home!r}: its parent folder does not exist (a typo in --home or VOTR_HOME?)"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot create home folder {home!r}: {exc.strerror}") from None
        return None
    except OSError as exc:
        raise StoreError(f"cannot use home folder {home!r}: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise StoreError(f"home {home!r} is not a folder")
    if not os.access(home, os.W_OK | os.X_OK):
        raise StoreError(f"cannot write to home folder {home!r}: permission denied")
    return None


def _refuse(path: str, st: os.stat_result) -> StoreError:
    if stat.S_ISLNK(st.st_mode):
        what = "a symbolic link"
    elif stat.S_ISDIR(st.st_mode):
        what = "a folder"
    else:
        what = "not a regular file"
    return StoreError(f"{path!r} is {what}; votr uses only regular files in its home: move it away")


def check_plain(path: str) -> os.stat_result | None:
    """`path`'s own status, not followed; refused if it exists as anything but a regular file (invariant 9)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path, st)
    return st


def create_file(path: Home, mode: int) -> os.stat_result:
    """Create `path` empty with exactly `mode` (umask aside) unless it exists; its status either way.

    A file that exists is left as it is (never truncated or chmodded: a group
    member may have put it there) but must be a regular file. SQLite gives its
    -wal and -shm files the mode of the database file, so the mode set here
    decides who can read the polls.

    No descriptor of an existing file is opened here: closing it would drop
    every POSIX lock this process holds on the file, SQLite's included.
    """
    path = os.fspath(path)
    st = check_plain(path)
    if st is not None:
        return st
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except FileExistsError:
        return create_file(path, mode)  # made meanwhile, by another process or planted: check it
    except OSError as exc:
        if exc.errno == errno.EACCES:
            raise StoreError(f"cannot create {path!r}: permission denied") from None
        raise StoreError(f"cannot create {path!r}: {exc.strerror}") from None
    try:
        os.fchmod(fd, mode)
        return os.fstat(fd)
    finally:
        os.close(fd)


def opened_as_checked(conn: sqlite3.Connection, path: str, checked: os.stat_result) -> bool:
    """Whether SQLite opened `path` itself, the file checked before, and nothing a symlink led to.

    SQLite resolves a symlinked database to its target's full name, which
    `database_list` shows: a symlink swapped in and out around the open is
    caught here even though `path` looks right again.
    """
    try:
        now = os.lstat(path)
    except OSError:
        return False
    name = conn.execute("PRAGMA database_list").fetchone()[2]
    return (now.st_dev, now.st_ino) == (checked.st_dev, checked.st_ino) and name == os.path.realpath(path)


def permission_problem(path: str) -> str:
    """Who may not do what, for a file in a home this account cannot use."""
    import grp
    import pwd

    home = os.path.dirname(path)
    for name in (path, *(path + s for s in _COMPANIONS[:2])):
        try:
            st = os.stat(name, follow_symlinks=False)
        except OSError:
            continue
        if os.access(name, os.R_OK | os.W_OK, follow_symlinks=False):
            continue
        try:
            owner = pwd.getpwuid(st.st_uid).pw_name
        except KeyError:
            owner = str(st.st_uid)
        try:
            group = grp.getgrgid(st.st_gid).gr_name
        except KeyError:
            group = str(st.st_gid)
        hint = (
            "ask its owner to make it group-writable (chmod g+rw)"
            if os.stat(home).st_mode & stat.S_ISGID
            else "a shared home needs its folder setgid to the group (chmod 2770) so new files are the group's"
        )
        return (
            f"no permission to write {name!r} (owner {owner}, group {group}, mode {stat.S_IMODE(st.st_mode):o}): {hint}"
        )
    return f"no permission to use {path!r} and its -wal and -shm files here"


# SQLite's primary result codes (sqlite3.h), which Python 3.11 exposes as exc.sqlite_errorcode.
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 3, 5, 6, 8, 10, 11, 13, 14, 26


def explain(exc: sqlite3.Error, path: str) -> StoreError:
    """What a SQLite failure on `path` means for the person at the terminal."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in (_FULL, _IOERR):
        try:
            vfs = os.statvfs(os.path.dirname(path))
            full = vfs.f_bavail == 0 or vfs.f_favail == 0
        except OSError:
            full = False
        if code == _FULL or full:
            return StoreError(f"the disk holding {path!r} is full ({exc}); free some space and try again")
        return StoreError(f"cannot read or write {path!r}: the disk reports an error ({exc})")
    if code in (_PERM, _READONLY, _CANTOPEN):
        for name in (path, *(path + s for s in _COMPANIONS)):
            try:
                check_plain(name)
            except StoreError as refused:
                return refused
        if code == _CANTOPEN and os.access(path, os.R_OK | os.W_OK):
            return StoreError(f"cannot open {path!r} ({exc})")
        return StoreError(permission_problem(path))
    if code in (_BUSY, _LOCKED):
        return StoreError(f"the poll store {path!r} stayed busy ({exc}); try again")
    if code in (_CORRUPT, _NOTADB) or isinstance(exc, sqlite3.DatabaseError) and not code:
        return StoreError(f"{path!r} is not a usable votr database ({exc}); move it away or use another --home")
    return StoreError(f"the poll store {path!r} failed ({exc})")


def connect(home: Home, create: bool = True) -> sqlite3.Connection:
    """Open `home`/votr.db, creating (when `create`) or migrating its schema when needed.

    The file is checked before SQLite opens it (a regular file, not a
    symlink) and after (the same file, reached by no symlink).
    """
    home = os.fspath(home)
    prepare_home(home, create)
    path = os.path.join(home, DB_NAME)
    checked = create_file(path, file_mode(home)) if create else check_plain(path)
    if checked is None:
        raise NoStore(f"no polls in {home!r} yet: check --home or VOTR_HOME")
    for suffix in _COMPANIONS:
        check_plain(path + suffix)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        # Deleted and overwritten content is zeroed, not left in free space: an
        # anonymous poll's erased links must not survive in the file.
        conn.execute("PRAGMA secure_delete = ON")
        if not autocheckpoint:
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        if not opened_as_checked(conn, path, checked):
            raise StoreError(f"{path!r} was replaced while votr opened it; votr uses only regular files in its home")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID or version != SCHEMA_VERSION:
            _upgrade(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise
        raise explain(exc, path) from None
    except UnicodeDecodeError as exc:
        # A damaged schema can make SQLite's own message undecodable.
        conn.close()
        raise StoreError(f"{path!r} is not a usable votr database ({exc.object!r}); move it away") from None
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
        # journal_mode cannot change inside a transaction; it persists in the file. Two processes
        # opening a brand-new store at once (the daemon, and `votr status` asking whether it runs)
        # can meet here, where SQLite answers "locked" without waiting: try again for a moment.
        for attempt in range(50):
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                import time

                time.sleep(0.1)
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
        raise explain(exc, path) from None


def truncate_wal(conn: sqlite3.Connection, wait_s: float = 0.5) -> bool:
    """Copy every page of the WAL into the database and empty it; False if a reader kept it from finishing.

    After erasing data (an anonymous poll's links), the WAL still holds the
    pages as they were; a TRUNCATE checkpoint is what leaves no copy behind.
    """
    conn.execute(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.OperationalError:
        return False  # locked by a writer just now: the caller tries again later
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    return busy == 0


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
