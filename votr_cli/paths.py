"""Where votr keeps its files."""

from __future__ import annotations

import os
from pathlib import Path

DB_NAME = "votr.db"
QUEUE_NAME = "queue.db"


def default_home() -> Path:
    """The user's data folder, following XDG on Linux (and a dot-folder elsewhere)."""
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "votr"


def resolve_home(explicit: str | os.PathLike[str] | None) -> Path:
    """`--home` wins, then `VOTR_HOME`, then the platform default."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("VOTR_HOME")
    if env:
        return Path(env).expanduser()
    return default_home()
