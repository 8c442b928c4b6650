"""Who is running votr: the OS account behind the process (DESIGN.md invariant 10).

From the effective uid, never from `$USER` or `$LOGNAME`, which anyone can set.
"""

from __future__ import annotations

import os


def current() -> str:
    """The account's login name, or `uid N` for a uid with no passwd entry (a bare container)."""
    import pwd

    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
