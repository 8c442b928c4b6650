"""Where votr keeps its files.

Plain strings and os.path, not pathlib: this runs on every command, and
pathlib costs `votr vote` a few milliseconds of start-up.
"""

from __future__ import annotations

import os

DB_NAME = "votr.db"
QUEUE_NAME = "queue.db"


def default_home() -> str:
    """The user's data folder, following XDG."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "votr")


def resolve_home(explicit: str | os.PathLike[str] | None) -> str:
    """`--home` wins, then `VOTR_HOME`, then the platform default."""
    if explicit:
        return os.path.expanduser(os.fspath(explicit))
    env = os.environ.get("VOTR_HOME")
    if env:
        return os.path.expanduser(env)
    return default_home()
