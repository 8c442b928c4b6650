"""Where an export goes: standard output, or a file written whole (or not at all).

No click, no rich. A regular file is written to a temporary file beside it
and renamed into place, keeping the mode of the file it replaces (a new one
gets the umask's); a symlink is followed to its target, and a device or pipe
(`/dev/null`, `/dev/stdout`) is written in place, never replaced. The home's
own files are refused: an export must not overwrite the store it reads.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from .errors import VotrError
from .paths import DB_NAME, QUEUE_NAME


def _refuse_home_files(target: str, home: str) -> None:
    for name in (DB_NAME, QUEUE_NAME):
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                if os.path.samefile(target, os.path.join(home, name + suffix)):
                    raise VotrError(f"{target!r} is votr's own {name + suffix}: export somewhere else")
            except OSError:
                continue


@contextmanager
def output(path: str | None, home: str) -> Iterator[TextIO]:
    """A UTF-8 text stream to `path` (None or '-': standard output); the file appears only if all went well."""
    if path is None or path == "-":
        # UTF-8 whatever the locale says: the CSV and JSON are UTF-8 by contract.
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            yield sys.stdout
            return
        sys.stdout.flush()
        stream = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
        try:
            yield stream
        finally:
            stream.flush()
            stream.detach()
        return
    if not path.strip():
        raise VotrError("-o needs a file name")
    target = os.path.realpath(path)  # a symlink's target is what gets written
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise VotrError(f"cannot write {path!r}: {exc.strerror}") from None
    folder = os.path.dirname(target)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise VotrError(f"cannot write {path!r}: it is a folder")
    if not os.path.isdir(folder):
        raise VotrError(f"cannot write {path!r}: the folder {folder!r} does not exist")
    if st is not None:
        _refuse_home_files(target, home)
    if st is not None and not stat.S_ISREG(st.st_mode):
        # A device or a pipe: write into it, as a shell's `>` would.
        try:
            with open(target, "w", encoding="utf-8", newline="") as stream:
                yield stream
        except OSError as exc:
            raise VotrError(f"cannot write {path!r}: {exc.strerror}") from None
        return
    import tempfile

    try:
        fd, temp = tempfile.mkstemp(prefix=".votr-export-", dir=folder)
    except OSError as exc:
        raise VotrError(f"cannot write {path!r}: {exc.strerror}") from None
    try:
        if st is not None:
            mode = stat.S_IMODE(st.st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
